// The load generator: autocannon's own command line, in a child process of its own, so that it
// never shares an event loop with the server under test.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

export const AUTOCANNON_CLI = join(dirname(require.resolve('autocannon/package.json')), 'autocannon.js');

export interface LoadResult {
  /** Mean requests per second over the run's one-second samples. */
  rps: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface LoadOptions {
  url: string;
  host: string;
  connections: number;
  seconds: number;
}

/** Runs `autocannon --json` and returns its figures. */
export function autocannon(options: LoadOptions): Promise<LoadResult> {
  const args = [
    AUTOCANNON_CLI,
    '--json',
    '--no-progress',
    '-c',
    String(options.connections),
    '-d',
    String(options.seconds),
    '-H',
    `Host=${options.host}`,
    options.url,
  ];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err.slice(-1000)}`));
      try {
        // The part of autocannon's --json report read here.
        const json = JSON.parse(out.slice(out.indexOf('{'))) as {
          requests: { average: number; total: number };
          latency: { p50: number; p99: number };
          non2xx: number;
          errors: number;
          timeouts: number;
        };
        resolve({
          rps: json.requests.average,
          total: json.requests.total,
          p50: json.latency.p50,
          p99: json.latency.p99,
          non2xx: json.non2xx,
          errors: json.errors,
          timeouts: json.timeouts,
        });
      } catch (e) {
        reject(new Error(`autocannon printed no JSON: ${(e as Error).message}: ${out.slice(0, 500)} ${err.slice(-500)}`));
      }
    });
  });
}
