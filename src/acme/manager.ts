// The built-in ACME client of the standalone server: orders and renews a certificate for every
// mta-sts.<domain> the plugin serves (HTTP-01), keeps keys encrypted in the database so several
// instances share them, and hands the server an SNI callback and the challenge responder.
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureContext, type SecureContext } from 'node:tls';
import * as acme from 'acme-client';
import { consoleLogger } from '../logger';
import type { CertificateTarget } from '../service';
import { CertificateStore, type CertificateRow, type CertificateState } from '../store/certificate-store';
import { canonicalIp, resolveManagerOptions, type CertificateManagerOptions, type ResolvedManagerOptions } from './options';
import { decrypt, encrypt } from './secret';

const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
const ORDER_LOCK = 'order';
const DAY_MS = 86_400_000;

/** One certificate name as `status()` reports it: never any key material. */
export interface CertificateStatus {
  name: string;
  /** issued, failed, skipped (does not point here), pending (not ordered yet), retired (no longer renewed). */
  state: CertificateState | 'retired';
  reason: string | null;
  notAfter: string | null;
  issuedAt: string | null;
  failures: number;
  nextAttempt: string | null;
  /** False for a name that has a row but no served policy any more. */
  wanted: boolean;
}

/** What one pass did: for tests, logs and a forced run. */
export interface PassSummary {
  /** False when another instance holds the ordering lock: this one only loaded certificates. */
  ordered: boolean;
  issued: string[];
  failed: string[];
  skipped: string[];
}

export interface CertificateManager {
  /** Starts the periodic pass (the first one at once). */
  start(): void;
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>;
  /** One pass now: load certificates, then (holding the lock) order what is due. */
  runOnce(): Promise<PassSummary>;
  /** Orders a certificate for one name now, due or not (an admin's forced renewal). */
  renew(name: string): Promise<CertificateStatus>;
  /** For `tls.createServer({ SNICallback })`: the certificate for the name the client asked for. */
  sniCallback(servername: string, callback: (err: Error | null, context?: SecureContext) => void): void;
  /** The secure context for a name, or null when none is issued. */
  secureContext(servername: string): SecureContext | null;
  /** Answers `/.well-known/acme-challenge/<token>` for pending orders; anything else goes to `next`. */
  challengeMiddleware(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  /** Every name's state, from the shared table (no key material). */
  status(): Promise<CertificateStatus[]>;
}

/** A short, single-line reason from an ACME or network error: what a status page can show. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, ' ').slice(0, 300);
}

export function createCertificateManager(options: CertificateManagerOptions): CertificateManager {
  const o: ResolvedManagerOptions = resolveManagerOptions(options, consoleLogger, randomBytes(8).toString('hex'));
  const { service, logger } = o;
  const store = new CertificateStore(o.knex, o.tablePrefix);
  if (o.directoryCa) acme.axios.defaults.httpsAgent = new Agent({ ca: o.directoryCa });
  // acme-client's own retry settings live on its shared axios instance (not typed).
  const settings = (acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number } }).acmeSettings;
  if (settings) settings.retryMaxAttempts = o.requestRetries;
  const challenges = new Map<string, string>();
  const contexts = new Map<string, { certificate: string; context: SecureContext }>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<PassSummary> | null = null;
  let client: acme.Client | null = null;
  const nowMs = (): number => o.now().getTime();
  const iso = (ms: number): string => new Date(ms).toISOString();

  /** Keeps a secure context per issued name, rebuilt only when its certificate changed (another instance may have renewed it). */
  function loadContexts(rows: CertificateRow[]): void {
    for (const row of rows) {
      if (!row.keyEnc || !row.certificate) continue;
      const known = contexts.get(row.name);
      if (known && known.certificate === row.certificate) continue;
      try {
        contexts.set(row.name, {
          certificate: row.certificate,
          context: createSecureContext({ key: decrypt(o.key, row.keyEnc), cert: row.certificate, minVersion: 'TLSv1.2' }),
        });
      } catch (err) {
        logger.error(`the certificate for ${row.name} could not be loaded: ${reasonOf(err)}`);
      }
    }
  }

  async function acmeClient(): Promise<acme.Client> {
    if (client) return client;
    let account = await store.account(o.directoryUrl);
    if (!account) {
      await store.saveAccount(o.directoryUrl, encrypt(o.key, (await acme.crypto.createPrivateEcdsaKey()).toString()));
      account = await store.account(o.directoryUrl);
      if (!account) throw new Error('the ACME account key could not be stored');
    }
    client = new acme.Client({
      directoryUrl: o.directoryUrl,
      accountKey: decrypt(o.key, account.keyEnc),
      ...(account.accountUrl ? { accountUrl: account.accountUrl } : {}),
    });
    return client;
  }

  /** Does the name point to this server? A null answer means yes (or nothing to compare with). */
  async function pointsElsewhere(name: string): Promise<string | null> {
    if (o.addresses.length === 0) return null;
    const found = await service.certificates.resolveAddresses(name);
    if (!found.ok) return `${name} does not resolve (${found.reason}), so the CA could not reach this server for it`;
    const here = found.addresses.map(canonicalIp).filter((a) => o.addresses.includes(a));
    if (here.length > 0) return null;
    return `${name} points to ${found.addresses.join(', ')}, not to this server (${o.addresses.join(', ')})`;
  }

  async function order(name: string): Promise<void> {
    const acmeClientNow = await acmeClient();
    const [key, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] }, await acme.crypto.createPrivateEcdsaKey());
    const chain = await acmeClientNow.auto({
      csr,
      email: o.email,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // The CA checks; our own pre-check would resolve the name through the system resolver.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        challenges.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        challenges.delete(challenge.token);
      },
    });
    try {
      await store.saveAccountUrl(o.directoryUrl, acmeClientNow.getAccountUrl());
    } catch {
      // Only a shortcut for the next start: the key finds the account again.
    }
    const info = acme.crypto.readCertificateInfo(chain);
    const now = nowMs();
    await store.put(name, {
      keyEnc: encrypt(o.key, key.toString()),
      certificate: chain,
      notAfter: info.notAfter.toISOString(),
      issuedAt: iso(now),
      state: 'issued',
      reason: null,
      failures: 0,
      nextAttempt: null,
      updatedAt: iso(now),
    });
    logger.info(`certificate issued for ${name}, valid until ${info.notAfter.toISOString()}`);
  }

  /** Why a target needs no order now, or null when it is due. */
  function notDue(target: CertificateTarget, row: CertificateRow | undefined, now: number): string | null {
    if (target.mode === 'none' && target.noneSince !== null && now - Date.parse(target.noneSince) >= target.maxAge * 1000)
      return `retired: its policy has been mode none since ${target.noneSince}, longer than its max_age`;
    if (row?.state === 'issued' && row.notAfter && Date.parse(row.notAfter) - now > o.renewBeforeDays * DAY_MS) return 'valid';
    if (row?.nextAttempt && Date.parse(row.nextAttempt) > now) return 'waiting to retry';
    return null;
  }

  async function attempt(name: string, row: CertificateRow | undefined, summary: PassSummary): Promise<void> {
    const now = nowMs();
    const elsewhere = await pointsElsewhere(name);
    if (elsewhere) {
      // Said once per change, not every minute.
      if (row?.state !== 'skipped' || row.reason !== elsewhere) logger.warn(`not ordering a certificate: ${elsewhere}`);
      // An issued certificate stays usable until it expires; the row keeps it.
      await store.put(name, { state: row?.state === 'issued' ? 'issued' : 'skipped', reason: elsewhere, updatedAt: iso(now) });
      summary.skipped.push(name);
      return;
    }
    try {
      await order(name);
      summary.issued.push(name);
    } catch (err) {
      const failures = (row?.failures ?? 0) + 1;
      const wait = Math.min(o.retryMaxMs, o.retryInitialMs * 2 ** Math.min(failures - 1, 20));
      const reason = reasonOf(err);
      logger.warn(`the certificate order for ${name} failed (attempt ${failures}, next in ${Math.round(wait / 1000)} s): ${reason}`);
      await store.put(name, { state: row?.state === 'issued' ? 'issued' : 'failed', reason, failures, nextAttempt: iso(now + wait), updatedAt: iso(nowMs()) });
      summary.failed.push(name);
    }
  }

  async function pass(): Promise<PassSummary> {
    const summary: PassSummary = { ordered: false, issued: [], failed: [], skipped: [] };
    const rows = await store.all();
    loadContexts(rows);
    const targets = await service.certificates.targets();
    // Unknown names (database down): order nothing rather than guess.
    if (targets === null) return summary;
    if (!(await store.acquireLock(ORDER_LOCK, o.instanceId, nowMs(), o.lockTtlMs))) return summary;
    summary.ordered = true;
    try {
      const byName = new Map(rows.map((r) => [r.name, r]));
      for (const target of targets) {
        const row = byName.get(target.name);
        if (notDue(target, row, nowMs()) !== null) continue;
        // One name per order, each under a freshly extended lock: one failing name blocks no other.
        if (!(await store.acquireLock(ORDER_LOCK, o.instanceId, nowMs(), o.lockTtlMs))) break;
        await attempt(target.name, row, summary);
      }
    } finally {
      await store.releaseLock(ORDER_LOCK, o.instanceId).catch(() => {});
    }
    loadContexts(await store.all());
    return summary;
  }

  function runOnce(): Promise<PassSummary> {
    running ??= pass().finally(() => {
      running = null;
    });
    return running;
  }

  function tick(): void {
    runOnce().catch((err: unknown) => logger.error(`the certificate pass failed: ${reasonOf(err)}`));
  }

  async function status(): Promise<CertificateStatus[]> {
    const [rows, targets] = await Promise.all([store.all(), service.certificates.targets()]);
    const byName = new Map(rows.map((r) => [r.name, r]));
    const now = nowMs();
    const names = new Set([...(targets ?? []).map((t) => t.name), ...rows.map((r) => r.name)]);
    return [...names].sort().map((name) => {
      const row = byName.get(name);
      const target = targets?.find((t) => t.name === name);
      const why = target ? notDue(target, row, now) : null;
      const retired = why?.startsWith('retired') ?? false;
      return {
        name,
        state: retired ? 'retired' : (row?.state ?? 'pending'),
        reason: retired ? why : (row?.reason ?? null),
        notAfter: row?.notAfter ?? null,
        issuedAt: row?.issuedAt ?? null,
        failures: row?.failures ?? 0,
        nextAttempt: row?.nextAttempt ?? null,
        wanted: target !== undefined,
      };
    });
  }

  return {
    start() {
      if (timer) return;
      timer = setInterval(tick, o.checkIntervalMs);
      timer.unref();
      tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running?.catch(() => {});
    },
    runOnce,
    async renew(name) {
      const key = name.toLowerCase();
      const summary: PassSummary = { ordered: true, issued: [], failed: [], skipped: [] };
      if (!(await store.acquireLock(ORDER_LOCK, o.instanceId, nowMs(), o.lockTtlMs)))
        throw new Error('another instance is ordering certificates now; try again shortly');
      try {
        await attempt(key, (await store.get(key)) ?? undefined, summary);
      } finally {
        await store.releaseLock(ORDER_LOCK, o.instanceId).catch(() => {});
      }
      loadContexts(await store.all());
      const found = (await status()).find((s) => s.name === key);
      if (!found) throw new Error(`${key} has no certificate row`);
      return found;
    },
    sniCallback(servername, callback) {
      callback(null, contexts.get(servername.toLowerCase().replace(/\.$/, ''))?.context);
    },
    secureContext(servername) {
      return contexts.get(servername.toLowerCase().replace(/\.$/, ''))?.context ?? null;
    },
    challengeMiddleware(req, res, next) {
      const url = req.url ?? '';
      if (!url.startsWith(CHALLENGE_PREFIX) || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
      const token = url.slice(CHALLENGE_PREFIX.length).split('?')[0];
      const answer = challenges.get(token);
      if (answer === undefined) return next();
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Cache-Control', 'no-store');
      res.end(req.method === 'HEAD' ? undefined : answer);
    },
    status,
  };
}
