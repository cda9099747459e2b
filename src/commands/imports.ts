// import-static and import-mailcow: bring a policy that already exists under the plugin's care
// without a new id, so that senders which cached it see nothing change.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { sayProblem } from '../i18n/policy-text';
import { POLICY_ID } from '../policy';
import { CliError, EXIT, printJson } from './output';
import { report, type WithRuntime } from './policy';
import { cliAudit } from './runtime';

const MAX_POLICY_FILE = 64 * 1024;

export function registerImportCommands(program: Command, withRuntime: WithRuntime): void {
  program
    .command('import-static <file>')
    .description('store a hand-written mta-sts.txt as the policy of a domain, keeping its id (from --id or the _mta-sts TXT record) when valid')
    .requiredOption('--domain <domain>', 'the domain the file belongs to')
    .option('--id <id>', 'the policy id senders know (default: read from _mta-sts.<domain> in DNS)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { domain: string; id?: string; json?: boolean }) => {
      const text = readPolicyFile(file);
      await withRuntime(async ({ service }) => {
        let id = opts.id ?? null;
        if (id === null) {
          id = await service.policies.publishedId(opts.domain);
          process.stderr.write(id === null ? `no valid _mta-sts.${opts.domain} record found: a new id is made\n` : `keeping the published id ${id}\n`);
        }
        const result = await service.policies.importPolicy(opts.domain, text, id, cliAudit('import'));
        if (result.status === 'bad-policy') {
          throw new CliError(
            `${file} is not a valid MTA-STS policy; nothing was saved:\n${result.errors.map((e) => `  ${sayProblem('en', e)}`).join('\n')}`,
            EXIT.problems,
          );
        }
        if (result.status === 'bad-id') throw new CliError(`--id "${result.id}" is not a policy id (1 to 32 letters and digits); nothing was saved`);
        report(opts.domain, result, opts.json);
      });
    });

  program
    .command('import-mailcow')
    .description("copy mailcow's own MTA-STS settings (its mta_sts table) into the plugin's columns, keeping each valid id")
    .option('--table <name>', "mailcow's table", 'mta_sts')
    .option('--json', 'print JSON')
    .action(async (opts: { table: string; json?: boolean }) => {
      const code = await withRuntime(async ({ service, settings }) => {
        // With the mailcow preset the policies already are mailcow's rows: an import would copy them onto themselves.
        if (settings.schema.policyTable)
          throw new CliError(
            `with --preset mailcow the policies already are the rows of mailcow's "${settings.schema.policyTable}" table: there is nothing to import`,
          );
        const rows = await service.policies.mailcowPolicies(opts.table);
        const outcomes: Array<{ domain: string; status: string; id: string | null; problems: string[] }> = [];
        for (const row of rows) {
          // mailcow keeps the version lower-case and the MX list comma-joined; rebuild the file it served.
          const text =
            [
              `version: ${row.version === 'stsv1' ? 'STSv1' : row.version}`,
              `mode: ${row.mode}`,
              ...row.mx.map((mx) => `mx: ${mx}`),
              `max_age: ${row.maxAge}`,
            ].join('\r\n') + '\r\n';
          const id = row.id !== null && POLICY_ID.test(row.id) ? row.id : null;
          const result = await service.policies.importPolicy(row.domain, text, id, cliAudit('import'));
          if (result.status === 'saved' && !row.active) await service.policies.update(row.domain, { active: false }, 'json', { audit: cliAudit('import') });
          outcomes.push({
            domain: row.domain,
            status: result.status,
            id: result.status === 'saved' ? result.record.policy.id : null,
            problems:
              result.status === 'bad-policy'
                ? result.errors.map((e) => sayProblem('en', e))
                : result.status === 'invalid'
                  ? result.errors.map((e) => `${e.field}: ${sayProblem('en', e)}`)
                  : row.id !== null && id === null
                    ? [`id "${row.id}" is not valid; a new one was made`]
                    : [],
          });
        }
        if (opts.json) printJson({ imported: outcomes });
        else
          for (const o of outcomes)
            process.stdout.write(`${o.domain}: ${o.status}${o.id ? ` (id ${o.id})` : ''}${o.problems.length ? `: ${o.problems.join('; ')}` : ''}\n`);
        const failed = outcomes.filter((o) => o.status !== 'saved').length;
        process.stderr.write(`${outcomes.length - failed} of ${outcomes.length} imported\n`);
        return failed > 0 ? EXIT.problems : EXIT.ok;
      });
      process.exitCode = code;
    });
}

function readPolicyFile(file: string): string {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new CliError(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (data.length > MAX_POLICY_FILE) throw new CliError(`${file} is larger than 64 KiB, which no sender accepts`, EXIT.problems);
  return data.toString('utf8');
}
