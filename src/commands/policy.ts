// list, show, set, retire: the tab's work from a terminal, with the same validation and messages.
import type { Command } from 'commander';
import { sayProblem } from '../i18n/policy-text';
import { MODES, policyJson, policyUrl, recordsToPublish, servedPolicy, servingWarnings, toULabel, zoneLine, type DomainRecord, type Mode } from '../policy';
import type { SaveResult } from '../service';
import { CliError, EXIT, printJson, printTable } from './output';
import { cliAudit, type Runtime, type RuntimeNeeds } from './runtime';

/** Runs a command's work over an open runtime and closes it; `needs` what the database must hold first. */
export type WithRuntime = <T>(work: (runtime: Runtime) => Promise<T>, needs?: RuntimeNeeds) => Promise<T>;

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

export function registerPolicyCommands(program: Command, withRuntime: WithRuntime): void {
  program
    .command('list')
    .description('list the domains with their MTA-STS mode, state and policy id')
    .option('--mode <mode>', `only this mode (${MODES.join(', ')})`)
    .option('--active', 'only domains with MTA-STS active')
    .option('--inactive', 'only domains with MTA-STS inactive')
    .option('--search <text>', 'only domains whose name contains this')
    .option('--limit <n>', 'at most this many (default 1000)', '1000')
    .option('--offset <n>', 'skip this many first', '0')
    .option('--json', 'print JSON')
    .action(async (opts: { mode?: string; active?: boolean; inactive?: boolean; search?: string; limit: string; offset: string; json?: boolean }) => {
      if (opts.mode !== undefined && !(MODES as readonly string[]).includes(opts.mode))
        throw new CliError(`--mode must be one of ${MODES.join(', ')} (got "${opts.mode}")`);
      if (opts.active && opts.inactive) throw new CliError('--active and --inactive exclude each other');
      const limit = count(opts.limit, '--limit', 1, 100_000);
      const offset = count(opts.offset, '--offset', 0, Number.MAX_SAFE_INTEGER);
      await withRuntime(async ({ service }) => {
        const { records, total } = await service.policies.list({
          mode: opts.mode as Mode | undefined,
          active: opts.active ? true : opts.inactive ? false : undefined,
          search: opts.search,
          limit,
          offset,
        });
        if (opts.json) return printJson({ total, domains: records.map(policyJson) });
        printTable(
          ['DOMAIN', 'MODE', 'ACTIVE', 'SERVED', 'MAX AGE', 'ID'],
          records.map((r) => [r.domain, r.policy.mode, yesNo(r.policy.active), yesNo(servedPolicy(r) !== null), String(r.policy.maxAge), r.policy.id ?? '-']),
        );
        process.stderr.write(`${records.length} of ${total} domains\n`);
      });
    });

  program
    .command('show <domain>')
    .description("show a domain's policy, the policy file senders get, and the DNS records to publish")
    .option('--json', 'print JSON')
    .action(async (domain: string, opts: { json?: boolean }) => {
      await withRuntime(
        async ({ service, settings }) => {
          const record = await service.policies.find(domain);
          if (!record) throw new CliError(`${domain}: there is no such domain in this panel`);
          const reporting = await service.reports.reporting(record);
          // With a delegation: delegated (two one-time CNAMEs) or, in a zone the publisher updates, direct.
          const { mode, delegation } = await service.modes.of(record.domain);
          const records = recordsToPublish({
            domain: record.domain,
            id: record.policy.id,
            mailHostname: settings.mailHostname,
            tlsRpt: reporting.record,
            delegation,
          });
          const served = await service.served.text(record.domain);
          if (opts.json) return printJson({ ...policyJson(record), policyFile: served, publishing: mode, records, warnings: servingWarnings(record) });
          const p = record.policy;
          printTable(
            ['FIELD', 'VALUE'],
            [
              ['domain', record.domain === toULabel(record.domain) ? record.domain : `${toULabel(record.domain)} (${record.domain})`],
              ['active', yesNo(p.active)],
              ['mode', p.mode],
              ['max age', `${p.maxAge} s`],
              ['mx', p.mx.join(', ') || '-'],
              ['id', p.id ?? '- (not saved yet)'],
              ['updated', p.updatedAt ?? '-'],
              ['served at', served === null ? `nothing served${notServedReason(record)}` : policyUrl(record.domain)],
              ...(settings.delegation
                ? [['dns records', mode === 'direct' ? 'published directly in its own zone' : `delegated to ${settings.delegation.zone} (CNAMEs once)`]]
                : []),
            ],
          );
          for (const r of records) process.stdout.write(`${zoneLine(r)}\n`);
        },
        { mailHostname: true },
      );
    });

  program
    .command('set <domain>')
    .description('change a policy, with the same rules and messages as the tab; a new id when what senders get changes')
    .option('--mode <mode>', `none, testing or enforce`)
    .option('--mx <entries>', 'MX entries, separated by commas or spaces (host names or *.host)')
    .option('--max-age <seconds>', 'seconds senders cache the policy (0 to 31557600)')
    .option('--active <yes|no>', 'serve the policy or not')
    .option('--json', 'print JSON')
    .action(async (domain: string, opts: { mode?: string; mx?: string; maxAge?: string; active?: string; json?: boolean }) => {
      const changes: Record<string, unknown> = {};
      if (opts.mode !== undefined) changes.mode = opts.mode;
      if (opts.mx !== undefined) changes.mx = opts.mx;
      if (opts.maxAge !== undefined) changes.maxAge = opts.maxAge;
      if (opts.active !== undefined) changes.active = activeFlag(opts.active);
      if (Object.keys(changes).length === 0) throw new CliError('nothing to change: give --mode, --mx, --max-age or --active');
      await withRuntime(async ({ service }) => report(domain, await service.policies.update(domain, changes, 'form', { audit: cliAudit('cli') }), opts.json));
    });

  program
    .command('retire <domain>')
    .description(
      'turn MTA-STS off the RFC 8461 section 8.3 way: mode none, a small max_age and a new id; remove the DNS records once senders dropped their copies',
    )
    .option('--json', 'print JSON')
    .action(async (domain: string, opts: { json?: boolean }) => {
      await withRuntime(async ({ service }) => {
        const before = await service.policies.find(domain);
        const result = await service.policies.retire(domain, { audit: cliAudit('cli') });
        report(domain, result, opts.json);
        if (result.status === 'saved' && before && !opts.json) {
          const until = new Date(Date.now() + before.policy.maxAge * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
          process.stderr.write(
            `Senders may keep the previous policy until ${until}; remove _mta-sts.${result.record.domain} and the policy host after that.\n`,
          );
        }
      });
    });
}

/** Prints a save's outcome; anything but a save is a CliError with its exit code. */
export function report(domain: string, result: SaveResult, json?: boolean): void {
  switch (result.status) {
    case 'not-found':
      throw new CliError(`${domain}: there is no such domain in this panel`);
    case 'invalid':
      throw new CliError(`${domain}: nothing was saved:\n${result.errors.map((e) => `  ${e.field}: ${sayProblem('en', e)}`).join('\n')}`);
    case 'conflict':
      throw new CliError(`${domain}: the policy changed meanwhile; nothing was saved, try again`, EXIT.problems);
    case 'saved':
      if (json) return printJson({ ...policyJson(result.record), changed: result.changed, warnings: servingWarnings(result.record) });
      process.stdout.write(
        result.changed
          ? `${result.record.domain}: saved; policy id ${result.record.policy.id}\n`
          : `${result.record.domain}: unchanged; policy id ${result.record.policy.id ?? '- (not saved yet)'}\n`,
      );
      // Saved is not served: say why on stderr, where the person at the terminal reads it.
      for (const warning of servingWarnings(result.record)) process.stderr.write(`warning: ${warning.message}\n`);
  }
}

/** Why `show` finds nothing served, when the policy alone does not say it. */
function notServedReason(record: DomainRecord): string {
  if (!record.policy.active) return ' (MTA-STS is inactive)';
  const [warning] = servingWarnings(record);
  return warning ? `: ${warning.message.charAt(0).toLowerCase()}${warning.message.slice(1).replace(/\.$/, '')}` : '';
}

export function activeFlag(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['yes', 'true', '1', 'on'].includes(v)) return true;
  if (['no', 'false', '0', 'off'].includes(v)) return false;
  throw new CliError(`--active must be yes or no (got "${value}")`);
}

export function count(value: string, flag: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new CliError(`${flag} must be a whole number from ${min} to ${max} (got "${value}")`);
  return n;
}
