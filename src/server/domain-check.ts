// The domain list's "DNS Check" button: the plugin's check with the request it acts for, so that
// it is authorized and counted by the same limits as the tab's and the API's (per user, and a cap
// on checks running at once). Its form carries the panel's CSRF token (the route checks it).
import type { Request, Response } from 'express';
import { HttpError, type DnsCheckResult, type MtaSts } from '../index';
import { CATALOGUES, format, type Locale, type MessageKey } from '../i18n';

interface ListCheck {
  status: 200 | 429;
  /** Null when the check could not be run (the list says so) or was refused. */
  result: DnsCheckResult | null;
  /** Why the check was refused (too many), in the reader's language; null when it ran. */
  refused: string | null;
}

export async function listCheck(mtaSts: MtaSts, req: Request, res: Response, domain: string, locale: Locale): Promise<ListCheck> {
  try {
    return { status: 200, result: await mtaSts.dnsCheck(domain, { req }), refused: null };
  } catch (err) {
    if (err instanceof HttpError && err.status === 429) {
      res.setHeader('Retry-After', String(err.retryAfter ?? 60));
      const text = err.text ? format(CATALOGUES[locale][`error.${err.text.key}` as MessageKey], err.text.values) : err.message;
      return { status: 429, result: null, refused: text };
    }
    // Not allowed: the error page. Anything else (the database, a resolver): "could not be run".
    if (err instanceof HttpError) throw err;
    return { status: 200, result: null, refused: null };
  }
}
