// publish: the `_mta-sts` and `_smtp._tls` TXT records written to DNS by the product itself, through
// RFC 2136 with TSIG or the PowerDNS API (src/publish/). Prints the plan (per record: name, type,
// what is published now, what is wanted, the action) and applies it unless --dry-run.
import type { Command } from 'commander';
import { servedPolicy, type DomainRecord } from '../policy';
import {
  applyPlan,
  brake,
  managedRecords,
  readPlan,
  type DomainWants,
  type Outcome,
  type PlannedRecord,
  type Verification,
  verifyRecords,
  publisherFor,
} from '../publish';
import { translate, type MessageKey, type ParamsOf } from '../i18n';
import { CliError, EXIT, printJson, printTable } from './output';
import { publishTargetOf, type PublishOpts } from './publish-target';
import type { WithRuntime } from './policy';
import type { Runtime } from './runtime';

/** One of the command's sentences (src/i18n/publish-en.ts), in English as the CLI speaks, on stderr. */
const say = <K extends MessageKey>(key: K, ...params: ParamsOf<K>) => process.stderr.write(`${translate('en', key, ...params)}\n`);

async function everyDomainWithId(service: Runtime['service']): Promise<DomainRecord[]> {
  const found: DomainRecord[] = [];
  for (let offset = 0; ; offset += 1000) {
    const { records } = await service.policies.list({ limit: 1000, offset });
    found.push(...records.filter((r) => r.policy.id !== null));
    if (records.length < 1000) return found;
  }
}

const shown = (now: PlannedRecord['now']) => (now === 'unknown' ? 'unknown' : now.length === 0 ? '-' : now.join(' | '));

function verificationJson(v: Verification) {
  return { summary: v.summary, published: v.published, total: v.total, lagging: v.lagging, checkedAt: v.checkedAt };
}

function recordJson(outcome: Outcome | null, record: PlannedRecord, verified: Verification | undefined) {
  return {
    domain: record.domain,
    name: record.name,
    type: record.type,
    now: record.now,
    wanted: record.wanted,
    action: record.action ?? 'unknown',
    ...(outcome ? { result: outcome.result, ...(outcome.error ? { error: outcome.error } : {}) } : {}),
    ...(verified ? { verification: verificationJson(verified) } : {}),
  };
}

/**
 * The states kept per record, as the server's publisher keeps them (src/service/publisher.ts):
 * published when the zone held it as wanted, or when every authoritative name server serves it
 * after the write; pending when written but not yet everywhere (or not verified); differs when the
 * write failed or was stopped. A record that could not be read keeps its last state.
 */
async function keepStates(
  service: Runtime['service'],
  plan: readonly PlannedRecord[],
  outcomes: readonly Outcome[] | null,
  verified: ReadonlyMap<PlannedRecord, Verification>,
  stopped: boolean,
): Promise<void> {
  const checkedAt = new Date().toISOString();
  const states = plan.flatMap((record, i) => {
    if (record.action === null) return [];
    const outcome = outcomes?.[i];
    const v = verified.get(record);
    const state =
      record.action === 'none'
        ? 'published'
        : outcome?.result === 'applied'
          ? v !== undefined && v.total > 0 && v.published === v.total
            ? 'published'
            : 'pending'
          : stopped || outcome?.result === 'failed'
            ? 'differs'
            : null;
    return state === null ? [] : [{ domain: record.domain, name: record.name, state, checkedAt } as const];
  });
  // Published is published: a database that fails here is said, not a failed publish.
  if (states.length > 0)
    await service.overview.recordDnsStates(states).catch((err: unknown) => say('publish.cli.statesNotKept', { reason: (err as Error).message.split('\n')[0] }));
}

export function registerPublishCommand(program: Command, withRuntime: WithRuntime): void {
  program
    .command('publish [domains...]')
    .description('publish the _mta-sts and _smtp._tls TXT records to DNS (RFC 2136 with TSIG, or the PowerDNS API)')
    .option('--all', 'every domain with a saved policy')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--force', 'apply even when more than 30% of the records already published would change')
    .option('--dns-update <url>', 'where updates go: rfc2136://<server>[:<port>], pdns+http://<host>:<port>, pdns+https://<host>[:<port>]')
    .option('--dns-zones <list>', "the zones to update, comma-separated (default: each name's zone, from the server)")
    .option('--verify-seconds <n>', 'how long to wait until every authoritative name server serves an applied record (default 10; 0: not verified)')
    .option('--name-servers <map>', 'ns-host=ip[:port],...: where to ask a name server instead of its A/AAAA records on port 53 (a test set-up, another view)')
    .option('--json', 'print JSON')
    .action(async (domains: string[], opts: PublishOpts) => {
      if (opts.all && domains.length > 0) throw new CliError('give domains or --all, not both');
      if (!opts.all && domains.length === 0) throw new CliError('name at least one domain, or --all');
      const where = publishTargetOf(opts, process.env, program.opts<{ config?: string }>().config);
      const publisher = publisherFor(where);
      const code = await withRuntime(async ({ service, settings }) => {
        const unknown: string[] = [];
        const found: DomainRecord[] = [];
        if (opts.all) found.push(...(await everyDomainWithId(service)));
        for (const name of domains) {
          const record = await service.policies.find(name);
          if (record === null) unknown.push(name);
          else if (record.policy.id === null) say('publish.cli.noPolicy', { domain: record.domain });
          else found.push(record);
        }
        // This publisher's zones decide which domains are published directly when a delegation is configured.
        service.modes.use(publisher, where.zones);
        const wants: DomainWants[] = [];
        // Domains whose zone the server could not place now (direct or delegated): nothing written for them.
        const undecided: string[] = [];
        for (const record of found) {
          // A retired domain past its safe-removal date loses its record, as the server's repair does.
          const served = servedPolicy(record);
          const removable = served !== null && (await service.policies.removable(record.domain, served));
          const { delegation, settled } = await service.modes.of(record.domain);
          if (!settled) {
            undecided.push(record.domain);
            continue;
          }
          wants.push({
            domain: record.domain,
            servedId: removable ? null : (served?.id ?? null),
            tlsRpt: await service.reports.publishedRecord(record.domain),
            delegationZone: delegation?.zone ?? null,
          });
        }
        const plan = await readPlan(publisher, wants.flatMap(managedRecords));
        const stop = brake(plan);
        const unread = plan.filter((r) => r.action === null);
        const changes = plan.filter((r) => r.action !== null && r.action !== 'none');
        let outcomes: Outcome[] | null = null;
        let stopped = false;
        if (!opts.dryRun && changes.length > 0) {
          if (stop.stop && !opts.force) stopped = true;
          else outcomes = await applyPlan(publisher, plan);
        }
        const failed = outcomes?.filter((o) => o.result === 'failed') ?? [];
        // Each applied record, asked of every authoritative name server of its zone until all serve it.
        const applied = outcomes?.filter((o) => o.result === 'applied').map((o) => o.record) ?? [];
        const verified = new Map<PlannedRecord, Verification>();
        if (applied.length > 0 && where.verifySeconds > 0) {
          const results = await verifyRecords(applied, {
            resolvers: settings.dnsServers,
            zones: where.zones,
            nameServers: where.nameServers,
            deadlineMs: where.verifySeconds * 1000,
          });
          applied.forEach((record, i) => verified.set(record, results[i]));
        }
        const lagging = [...verified.values()].filter((v) => v.total > 0 && v.published < v.total);
        // What this run saw and did, kept as `serve` keeps it: the tab, the overview and the alerts show it.
        if (!opts.dryRun) await keepStates(service, plan, outcomes, verified, stopped);
        if (opts.json) {
          printJson({
            target: where.display,
            dryRun: opts.dryRun === true,
            stopped,
            records: plan.map((record, i) => recordJson(outcomes?.[i] ?? null, record, verified.get(record))),
            unknown,
          });
        } else if (plan.length > 0) {
          printTable(
            ['NAME', 'TYPE', 'PUBLISHED NOW', 'WANTED', 'ACTION', ...(outcomes ? ['RESULT'] : [])],
            plan.map((r, i) => [r.name, r.type, shown(r.now), r.wanted ?? '- (removed)', r.action ?? 'unknown', ...(outcomes ? [outcomes[i].result] : [])]),
          );
        }
        if (!opts.json) for (const [record, v] of verified) process.stdout.write(`${record.name} ${record.type}: ${v.summary}\n`);
        for (const r of unread) say('publish.cli.unread', { name: r.name, type: r.type, target: where.display });
        for (const o of failed) process.stderr.write(`${o.record.name} ${o.record.type}: ${o.error ?? 'failed'}\n`);
        if (unknown.length > 0) say('publish.cli.unknown', { domains: unknown.join(', ') });
        if (undecided.length > 0) say('publish.cli.undecided', { domains: undecided.join(', '), target: where.display });
        const count = (action: string) => changes.filter((r) => r.action === action).length;
        const counts = { create: count('create'), update: count('update'), delete: count('delete'), target: where.display };
        if (stopped) say('publish.cli.stopped', { changing: stop.changing, existing: stop.existing });
        else if (changes.length === 0) say('publish.cli.nothing', { held: plan.length - unread.length, total: plan.length, target: where.display });
        else if (outcomes) say('publish.cli.applied', { ...counts, applied: changes.length - failed.length, failed: failed.length });
        else say('publish.cli.dryRun', counts);
        if (lagging.length > 0) say('publish.cli.lagging', { count: lagging.length, seconds: where.verifySeconds });
        return stopped || failed.length > 0 || lagging.length > 0 || unread.length > 0 || unknown.length > 0 || undecided.length > 0 ? EXIT.problems : EXIT.ok;
      });
      process.exitCode = code;
    });
}
