// Figure 4's load generator, in a process of its own: autocannon's API asks for the policy file
// with a Host header picked at random among the host's domains for every request, at a fixed
// overall rate (latency, not throughput, is what figure 4 compares).
import { domainNames } from '../lib/data';
import { childConfig, failChild, tell } from '../lib/util';

// autocannon ships no type declarations.
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => { on(event: 'done', listener: (result: AutocannonResult) => void): void };
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface HostsConfig {
  url: string;
  domains: number;
  connections: number;
  rate: number;
  seconds: number;
}

async function main(): Promise<void> {
  const config = childConfig<HostsConfig>();
  const hosts = domainNames(config.domains).map((domain) => `mta-sts.${domain}`);
  const instance = autocannon({
    url: config.url,
    connections: config.connections,
    overallRate: config.rate,
    duration: config.seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (req: { headers?: Record<string, string> }) => ({
          ...req,
          headers: { ...req.headers, host: hosts[Math.floor(Math.random() * hosts.length)] },
        }),
      },
    ],
  });
  instance.on('done', (result) => {
    tell({
      type: 'result',
      rps: result.requests.average,
      total: result.requests.total,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
    });
    process.exit(0);
  });
}

main().catch(failChild);
