// The hostile inputs of the "hostile input" figure, generated at the sizes asked for (never
// fixtures): a report mail whose Content-Type header is shaped against the report-mail reader's
// parameter parser, signed many times over with DKIM; TLS reports shaped against the policy
// fingerprint of the report summary; and reports that carry as many distinct failure details as
// the intake's limits let through.
import { gzipSync } from 'node:zlib';
import { dkimSign } from 'mailauth';
import { reportMail, type DkimKey } from '../../test/support/report-mail';
import { googleSample } from '../../test/support/report-samples';

const DAY_MS = 86_400_000;

/** Yesterday (UTC), the date of a report sent today. */
export function yesterday(): string {
  return new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
}

/**
 * The top-level Content-Type of a report mail, then a parameter whose quoted value never closes
 * and is made of `\"` pairs: a parser that tries a quoted string at every quote rescans the rest
 * of the header each time (quadratic). Folded every 72 characters between two pairs, as a mail
 * client folds a long header (a fold inside a pair would close the quote).
 */
function craftedContentType(boundary: string, bytes: number): string {
  const head = `Content-Type: multipart/report; boundary="${boundary}"; report-type=tlsrpt; x-bench="`;
  // 36 pairs a line, and a fold (CRLF and a space) between lines: 75 bytes for 36 pairs.
  const pairs = Math.max(0, Math.floor(((bytes - head.length) * 36) / 75));
  const lines: string[] = [];
  for (let done = 0; done < pairs; done += 36) lines.push('\\"'.repeat(Math.min(36, pairs - done)));
  return head + lines.join('\r\n ');
}

export interface CraftedMail {
  message: string;
  /** DKIM selectors signed with, each to be published as `<selector>._domainkey.<submitter>`. */
  selectors: string[];
}

/**
 * A TLS report mail of about `bytes` bytes: a real report, a Content-Type header padded with the
 * crafted parameter, and `signatures` DKIM signatures (each with its own selector, all of `key`).
 */
export async function craftedReportMail(options: { bytes: number; domain: string; submitter: string; key: DkimKey; signatures: number }): Promise<CraftedMail> {
  const { domain, submitter, key } = options;
  const selectors = Array.from({ length: options.signatures }, (_, i) => `bench${i}`);
  const base = reportMail(googleSample(domain, yesterday(), `${yesterday()}T00:00:00Z_${domain}_hostile`), { domain, submitter });
  const line = /^Content-Type: multipart\/report;[^\r\n]*/m.exec(base);
  const boundary = line ? /boundary="([^"]+)"/.exec(line[0])?.[1] : undefined;
  if (!line || !boundary) throw new Error('the sample report mail has no multipart/report Content-Type');
  const sign = async (message: string) => {
    if (selectors.length === 0) return message;
    const signatureData = selectors.map((selector) => ({ signingDomain: submitter, selector, privateKey: key.privateKey }));
    const signed = await dkimSign(message, { ...signatureData[0], signatureData });
    if (signed.errors?.length) throw new Error(`dkimSign: ${JSON.stringify(signed.errors)}`);
    return signed.signatures + message;
  };
  // The signatures' own size first (it does not depend on the header's length), then the padding.
  const unpadded = await sign(base);
  const room = options.bytes - unpadded.length + line[0].length;
  const message = base.replace(line[0], craftedContentType(boundary, room));
  return { message: await sign(message), selectors };
}

/** A report as `Sender <i>` sends one, with the given policy entries. */
function report(domain: string, i: number, policies: unknown[]): Record<string, unknown> {
  const day = yesterday();
  return {
    'organization-name': `Hostile Sender ${i}`,
    'date-range': { 'start-datetime': `${day}T00:00:00Z`, 'end-datetime': `${day}T23:59:59Z` },
    'contact-info': `tlsrpt@sender${i}.example`,
    'report-id': `hostile-${i}-${day}`,
    policies: policies.map((entry) => ({ ...(entry as object) })),
  };
}

/**
 * A gzip report whose STS policy carries `lines` policy-string lines of `chars` characters shaped
 * against a `key: value` pattern with a lazy value and trailing blanks: blanks, a letter, blanks,
 * a line break and a letter, so that no split of the blanks ever reaches the end of the line.
 */
export function fingerprintReport(domain: string, i: number, lines: number, chars: number): Buffer {
  const blanks = ' '.repeat(Math.max(0, Math.floor((chars - 'mode:x\nx'.length) / 2)));
  const shaped = Array.from({ length: lines }, () => `mode:${blanks}x${blanks}\nx`);
  const policy = {
    policy: { 'policy-type': 'sts', 'policy-string': ['version: STSv1', ...shaped, `mx: mail.${domain}`, 'max_age: 86400'], 'policy-domain': domain },
    summary: { 'total-successful-session-count': 10, 'total-failure-session-count': 0 },
  };
  return gzipSync(JSON.stringify(report(domain, i, [policy])));
}

/**
 * A gzip report of `policies` policy entries with `details` failure details each, every detail
 * from its own receiving address (so none can be grouped with another): what one post can make
 * the store keep, in rows.
 */
export function failureFloodReport(domain: string, i: number, policies: number, details: number): Buffer {
  const entries = Array.from({ length: policies }, (_, p) => ({
    policy: { 'policy-type': 'no-policy-found', 'policy-domain': domain },
    summary: { 'total-successful-session-count': 0, 'total-failure-session-count': details },
    'failure-details': Array.from({ length: details }, (_, d) => ({
      'result-type': 'validation-failure',
      'receiving-ip': `10.${i % 256}.${p % 256}.${d % 256}`,
      'receiving-mx-hostname': `mx${d >> 8}.${domain}`,
      'failed-session-count': 1,
    })),
  }));
  return gzipSync(JSON.stringify(report(domain, 1000 + i, entries)));
}
