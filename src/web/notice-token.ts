import { createHmac, timingSafeEqual } from 'node:crypto';

/** The query parameter a save's redirect carries its notice in. */
export const NOTICE_PARAM = 'mta-sts-saved';

/** How long the notice is shown after the save (a reload within it shows it again, nothing more). */
export const NOTICE_TTL_S = 60;

/** What a successful save tells the admin on the page it redirects to. */
export interface SavedNotice {
  kind: 'saved' | 'unchanged' | 'retired';
  /** The policy id after the save ('' before the first). */
  id: string;
  /** Moved straight from none to enforce: the guide's Step 4 warning is said once. */
  skippedTesting?: boolean;
  /** When retiring: until when the mode-none policy must stay served (ISO time). */
  until?: string;
}

interface Payload extends SavedNotice {
  domain: string;
  exp: number;
}

const ID = /^[A-Za-z0-9]{0,32}$/;

/**
 * The plugin has no session store, so a save's success message travels in the redirect's query:
 * signed with HMAC-SHA256 under the CSRF secret, bound to the domain and the login (session id),
 * and expiring after NOTICE_TTL_S. Nothing in it is trusted unless the signature matches; it only
 * ever selects one of the catalogue's messages and fills in an id and a time.
 */
export function signNotice(secret: string, session: string, domain: string, notice: SavedNotice, now: Date): string {
  const payload: Payload = { ...notice, domain, exp: Math.floor(now.getTime() / 1000) + NOTICE_TTL_S };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, session, body)}`;
}

/** The notice, when the token is well-formed, correctly signed, for this domain and not expired; else null. */
export function readNotice(secret: string, session: string, domain: string, token: unknown, now: Date): SavedNotice | null {
  if (typeof token !== 'string' || token.length > 600) return null;
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const wanted = Buffer.from(mac(secret, session, body));
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return null;
  let payload: Partial<Payload>;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Payload>;
  } catch {
    return null;
  }
  if (payload.domain !== domain || typeof payload.exp !== 'number' || payload.exp < now.getTime() / 1000) return null;
  if (payload.kind !== 'saved' && payload.kind !== 'unchanged' && payload.kind !== 'retired') return null;
  if (typeof payload.id !== 'string' || !ID.test(payload.id)) return null;
  const until = typeof payload.until === 'string' && !Number.isNaN(Date.parse(payload.until)) ? payload.until : undefined;
  return { kind: payload.kind, id: payload.id, skippedTesting: payload.skippedTesting === true, until };
}

function mac(secret: string, session: string, body: string): string {
  return createHmac('sha256', secret).update(`mta-sts-notice\n${session}\n${body}`).digest('base64url');
}
