// `npm run bench -- --quick` as part of `npm test`: every figure of the bench runs with small sizes
// and short rounds and gives its numbers, so a change that breaks a figure (a renamed option, one
// more check, a form that now wants a CSRF token) shows here and not at the next full run. The
// numbers themselves are not judged: a quick run's sizes are too small to mean anything.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportData } from '../../bench/lib/report';

const ROOT = [join(__dirname, '../../..'), join(__dirname, '../..')].find((dir) => existsSync(join(dir, 'package.json'))) as string;
const RUN = join(ROOT, 'dist/bench/run.js');
/** Every figure of a default run, as its rows name it (the part before the first space). */
const FIGURES = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', 'overview'];

describe('bench: every figure runs in quick mode', function () {
  // About a minute on two idle cores; much more when other work shares them.
  this.timeout(900_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-bench-quick-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and writes, for every figure, rows whose values hold numbers', async () => {
    const results = join(dir, 'results.json');
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_RESULTS: results };
    // A figure selection or size meant for a full run must not leak into this one.
    for (const name of Object.keys(env)) if (/^BENCH_/.test(name) && name !== 'BENCH_RESULTS') delete env[name];
    const run = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const proc = spawn(process.execPath, [RUN, '--quick'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      proc.once('error', reject);
      proc.once('exit', (code) => resolve({ code, output }));
    });
    assert.equal(run.code, 0, run.output.slice(-4000));
    const data = JSON.parse(readFileSync(results, 'utf8')) as ReportData;
    assert.equal(data.quick, true);
    const byFigure = new Map<string, ReportData['rows']>();
    for (const row of data.rows) {
      const figure = row.figure.split(' ')[0];
      byFigure.set(figure, [...(byFigure.get(figure) ?? []), row]);
    }
    assert.deepEqual([...byFigure.keys()].sort(), [...FIGURES].sort(), 'a row for every figure');
    for (const [figure, rows] of byFigure) {
      for (const row of rows) assert.match(row.value, /\d/, `figure ${figure}, "${row.measure}": a value without a number`);
    }
    // The hostile-input figure: the quiet run and each of the four attacks, each with its latencies.
    const hostile = (byFigure.get('8') ?? []).map((row) => row.measure);
    for (const attack of ['quiet', 'by HTTPS', 'by IMAP', 'SQLite locked', 'MariaDB cut']) {
      assert.ok(
        hostile.some((measure) => measure.includes(attack)),
        `figure 8 has no row for "${attack}": ${hostile.join('; ')}`,
      );
    }
  });
});
