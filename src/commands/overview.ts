// bulk, defaults, history: the overview's work from a terminal, over the same service methods
// as the overview page and the API (service.overview, service.history).
import type { Command } from 'commander';
import { sayProblem } from '../i18n/policy-text';
import { cacheWindow, parseBulkChanges, MODES, type Mode, type PolicySettings } from '../policy';
import { OVERVIEW_STATES, VERDICTS, type BulkOutcome, type OverviewQuery } from '../service/overview';
import { CliError, EXIT, printJson, printTable } from './output';
import { cliAudit } from './runtime';
import { activeFlag, count, type WithRuntime } from './policy';

type Filter = Omit<OverviewQuery, 'limit' | 'offset' | 'keys'>;

/** `--filter mode=testing --filter state=served`: the overview's filters, each checked. */
export function parseFilters(items: readonly string[]): Filter {
  const filter: Filter = {};
  for (const item of items) {
    const [name, ...rest] = item.split('=');
    const value = rest.join('=');
    const one = <T extends string>(allowed: readonly T[]): T => {
      if (!(allowed as readonly string[]).includes(value)) throw new CliError(`--filter ${name}= must be one of ${allowed.join(', ')} (got "${value}")`);
      return value as T;
    };
    if (name === 'mode') filter.mode = one<Mode>(MODES);
    else if (name === 'state') filter.state = one(OVERVIEW_STATES);
    else if (name === 'verdict') filter.verdict = one([...VERDICTS, 'unchecked'] as const);
    else if (name === 'search') filter.search = value;
    else throw new CliError(`--filter takes mode=, state=, verdict= or search= (got "${item}")`);
  }
  return filter;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const policyText = (p: PolicySettings) => `${p.mode} ${p.maxAge}s mx=${p.mx.join(',') || '-'} ${p.active ? 'active' : 'inactive'}`;

export function registerOverviewCommands(program: Command, withRuntime: WithRuntime): void {
  program
    .command('bulk')
    .description('change many domains at once (each its own save and new id): the listed ones, or --all matching --filter')
    .option('--domains <list>', 'domains separated by commas')
    .option('--all', 'every domain matching the filters')
    .option('--filter <name=value>', 'with --all: mode=, state=served|off|never, verdict=ok|warning|error|unchecked, search= (repeatable)', collect, [])
    .option('--mode <mode>', 'none, testing or enforce')
    .option('--max-age <seconds>', 'seconds senders cache the policy')
    .option('--mx <entries>', 'replace the MX entries (commas or spaces)')
    .option('--add-mx <entries>', 'add MX entries to the current ones')
    .option('--active <yes|no>', 'serve the policy or not')
    .option('--retire', 'retire MTA-STS (mode none, small max_age), alone')
    .option('--dry-run', 'show what would change; save nothing')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        domains?: string;
        all?: boolean;
        filter: string[];
        mode?: string;
        maxAge?: string;
        mx?: string;
        addMx?: string;
        active?: string;
        retire?: boolean;
        dryRun?: boolean;
        json?: boolean;
      }) => {
        if ((opts.domains === undefined) === !opts.all) throw new CliError('name the domains: --domains a,b or --all (with --filter)');
        if (opts.domains !== undefined && opts.filter.length > 0) throw new CliError('--filter goes with --all, not with --domains');
        const filter = parseFilters(opts.filter);
        const changes = parseBulkChanges({
          mode: opts.mode,
          maxAge: opts.maxAge,
          mx: opts.mx,
          addMx: opts.addMx,
          active: opts.active === undefined ? undefined : activeFlag(opts.active),
          retire: opts.retire,
        });
        if (!changes.ok) throw new CliError(`nothing was saved:\n${changes.errors.map((e) => `  ${e.field}: ${sayProblem('en', e)}`).join('\n')}`);
        await withRuntime(async ({ service }) => {
          const targets = opts.all
            ? await service.overview.keys(filter)
            : (opts.domains ?? '')
                .split(',')
                .map((d) => d.trim())
                .filter(Boolean);
          const outcomes = await service.overview.bulk(targets, changes.value, { kind: 'form', preview: opts.dryRun === true, audit: cliAudit('bulk') });
          printOutcomes(outcomes, opts.dryRun === true, opts.json);
          if (outcomes.some((o) => o.status !== 'changed' && o.status !== 'unchanged')) process.exitCode = EXIT.problems;
        });
      },
    );

  program
    .command('defaults')
    .description('show, or with options set, the defaults a domain starts from when it gets its first policy')
    .option('--mode <mode>', 'none, testing or enforce')
    .option('--max-age <seconds>', 'seconds senders cache the policy')
    .option('--mx <entries>', 'MX entries (commas or spaces)')
    .option('--json', 'print JSON')
    .action(async (opts: { mode?: string; maxAge?: string; mx?: string; json?: boolean }) => {
      const input: Record<string, unknown> = {};
      if (opts.mode !== undefined) input.mode = opts.mode;
      if (opts.maxAge !== undefined) input.maxAge = opts.maxAge;
      if (opts.mx !== undefined) input.mx = opts.mx;
      await withRuntime(async ({ service }) => {
        let defaults = await service.policies.defaults();
        if (Object.keys(input).length > 0) {
          const result = await service.policies.setDefaults(input, 'form');
          if (!result.ok) throw new CliError(`nothing was saved:\n${result.errors.map((e) => `  ${e.field}: ${sayProblem('en', e)}`).join('\n')}`);
          defaults = result.value;
        }
        if (opts.json) return printJson(defaults);
        printTable(
          ['FIELD', 'VALUE'],
          [
            ['mode', defaults.mode],
            ['max age', `${defaults.maxAge} s`],
            ['mx', defaults.mx.join(', ') || '-'],
          ],
        );
      });
    });

  program
    .command('history <domain>')
    .description("a domain's policy changes, newest first, and until when senders may still hold older policies")
    .option('--limit <n>', 'at most this many (default 50)', '50')
    .option('--offset <n>', 'skip this many first', '0')
    .option('--json', 'print JSON')
    .action(async (domain: string, opts: { limit: string; offset: string; json?: boolean }) => {
      const limit = count(opts.limit, '--limit', 1, 10_000);
      const offset = count(opts.offset, '--offset', 0, Number.MAX_SAFE_INTEGER);
      await withRuntime(async ({ service }) => {
        const found = await service.policies.history(domain, { limit, offset });
        if (!found) throw new CliError(`${domain}: there is no such domain in this panel`);
        const all = await service.policies.history(domain, { limit: 500, offset: 0 });
        const window = cacheWindow(all?.entries ?? [], new Date());
        if (opts.json) return printJson({ domain: found.record.domain, total: found.total, window, changes: found.entries });
        printTable(
          ['WHEN', 'WHO', 'FROM', 'BEFORE', 'AFTER', 'IDS'],
          found.entries.map((e) => [
            e.changedAt,
            `${e.actor ?? '-'} (${e.source})`,
            e.origin ?? '-',
            e.before ? policyText(e.before) : '-',
            policyText(e.after),
            `${e.before?.id ?? '-'} -> ${e.after.id ?? '-'}`,
          ]),
        );
        if (window.retiring && window.completeAt)
          process.stderr.write(`Retiring is complete at ${window.completeAt.toISOString()}: remove the DNS records after that.\n`);
        if (window.oldMxUntil && window.oldMxUntil > new Date())
          process.stderr.write(`Senders may hold an older MX list until ${window.oldMxUntil.toISOString()}.\n`);
        process.stderr.write(`${found.entries.length} of ${found.total} changes\n`);
      });
    });
}

function printOutcomes(outcomes: BulkOutcome[], preview: boolean, json?: boolean): void {
  if (json) return printJson({ preview, results: outcomes });
  printTable(
    ['DOMAIN', 'RESULT', 'BEFORE', 'AFTER'],
    outcomes.map((o) => {
      if (o.status === 'changed' || o.status === 'unchanged')
        return [o.domain, preview && o.status === 'changed' ? 'would change' : o.status, policyText(o.before), policyText(o.after)];
      if (o.status === 'invalid') return [o.domain, 'invalid', '', o.errors.map((e) => `${e.field}: ${sayProblem('en', e)}`).join('; ')];
      return [o.domain, o.status, '', ''];
    }),
  );
  const changed = outcomes.filter((o) => o.status === 'changed').length;
  process.stderr.write(`${changed} of ${outcomes.length} domains ${preview ? 'would change (nothing saved: --dry-run)' : 'changed'}\n`);
}
