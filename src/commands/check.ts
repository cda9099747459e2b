// check: the DNS Check in a terminal, one domain, several, or all; exit 1 when any check is an error.
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { DnsCheckResult } from '../check';
import { sayDnsCheck } from '../render/check';
import { CliError, EXIT, printJson, printTable } from './output';
import { count, type WithRuntime } from './policy';

export function registerCheckCommand(program: Command, withRuntime: WithRuntime): void {
  program
    .command('check [domains...]')
    .description('run the DNS Check: what DNS and the servers must hold, what they hold, what to do')
    .option('--all', 'check every domain with MTA-STS active')
    .option('--concurrency <n>', 'domains checked at once (1 to 1000)', '8')
    .option('--no-probes', 'skip the HTTPS fetch of the policy and the STARTTLS test of the MX hosts (DNS only)')
    .option('--json', 'print JSON')
    .action(async (domains: string[], opts: { all?: boolean; concurrency: string; probes: boolean; json?: boolean }) => {
      if (opts.all && domains.length > 0) throw new CliError('give domains or --all, not both');
      if (!opts.all && domains.length === 0) throw new CliError('name at least one domain, or --all');
      const concurrency = count(opts.concurrency, '--concurrency', 1, 1000);
      const code = await withRuntime(
        async ({ service }) => {
          const names = opts.all ? await activeDomains(service) : domains;
          // A bar on a terminal only: scripts and --json read clean output.
          const bar =
            process.stderr.isTTY && names.length > 1
              ? new SingleBar({ stream: process.stderr, format: 'checking {bar} {value}/{total} {domain}', hideCursor: true })
              : null;
          bar?.start(names.length, 0, { domain: '' });
          const verdicts = await service.checks.checkMany(names, {
            concurrency,
            onProgress: ({ done, domain }) => bar?.update(done, { domain }),
          });
          bar?.stop();
          // Printed and given as JSON in English, as the JSON API answers.
          const results = verdicts.map((r) => (r === null ? null : sayDnsCheck('en', r)));
          const unknown = names.filter((_, i) => results[i] === null);
          const found = results.filter((r): r is DnsCheckResult => r !== null);
          if (opts.json) printJson({ results: found, unknown });
          else printResults(found);
          const errors = found.filter((r) => r.checks.some((c) => c.status === 'error')).length;
          const warnings = found.filter((r) => r.checks.some((c) => c.status === 'warning')).length;
          process.stderr.write(
            `${found.length} checked: ${errors} with errors, ${warnings} with warnings${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}\n`,
          );
          return errors > 0 || unknown.length > 0 ? EXIT.problems : EXIT.ok;
        },
        { probes: opts.probes, mailHostname: true },
      );
      process.exitCode = code;
    });
}

async function activeDomains(service: Parameters<Parameters<WithRuntime>[0]>[0]['service']): Promise<string[]> {
  const names: string[] = [];
  for (let offset = 0; ; offset += 1000) {
    const { records } = await service.policies.list({ active: true, limit: 1000, offset });
    names.push(...records.map((r) => r.domain));
    if (records.length < 1000) return names;
  }
}

function printResults(results: DnsCheckResult[]): void {
  for (const result of results) {
    process.stdout.write(`\n${result.domain} (policy id ${result.id ?? '-'}, checked ${result.checkedAt})\n`);
    printTable(
      ['CHECK', 'STATUS', 'MESSAGE'],
      result.checks.map((c) => [c.name, c.status.toUpperCase(), c.message]),
    );
  }
}
