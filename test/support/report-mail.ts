// TLS report mails (RFC 8460 section 5.3) for tests, DKIM-signed with a throwaway RSA key.
import { generateKeyPairSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { dkimSign } from 'mailauth';

export interface DkimKey {
  privateKey: string;
  /** The `<selector>._domainkey.<domain>` TXT value, in strings of at most 255 bytes. */
  txt: string[];
}

export function dkimKey(): DkimKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const value = `v=DKIM1; k=rsa; p=${der}`;
  const txt: string[] = [];
  for (let i = 0; i < value.length; i += 250) txt.push(value.slice(i, i + 250));
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), txt };
}

/** A report mail as Google sends one: a text part and the gzip report, base64, CRLF lines. */
export function reportMail(report: unknown, options: { domain: string; submitter: string; json?: boolean }): string {
  const boundary = '----=_Part_tlsrpt_0123456789';
  const body = options.json ? Buffer.from(JSON.stringify(report)) : gzipSync(JSON.stringify(report));
  const base64 = body.toString('base64').replace(/.{76}/g, '$&\r\n');
  const type = options.json ? 'application/tlsrpt+json' : 'application/tlsrpt+gzip';
  const file = `${options.submitter}!${options.domain}!1763596800!1763683199.json${options.json ? '' : '.gz'}`;
  return [
    `From: noreply-smtp-tls-reporting@${options.submitter}`,
    `To: tlsrpt@${options.domain}`,
    `Subject: Report Domain: ${options.domain} Submitter: ${options.submitter} Report-ID: <2026.11.20T00.00.00Z+${options.domain}@${options.submitter}>`,
    'Date: Fri, 21 Nov 2026 08:00:00 +0000',
    `Message-ID: <report-${Date.now()}@${options.submitter}>`,
    `TLS-Report-Domain: ${options.domain}`,
    `TLS-Report-Submitter: ${options.submitter}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; boundary="${boundary}"; report-type=tlsrpt`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    '',
    `This is an aggregate TLS report from ${options.submitter}`,
    `--${boundary}`,
    `Content-Type: ${type}; name="${file}"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${file}"`,
    '',
    base64,
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/** Signs a message with DKIM (relaxed/relaxed, rsa-sha256): the signature header prepended. */
export async function signMail(message: string, domain: string, selector: string, key: DkimKey): Promise<string> {
  // signatureData is what mailauth reads; its typings also demand the top-level fields, which it ignores here.
  const signature = { signingDomain: domain, selector, privateKey: key.privateKey };
  const signed = await dkimSign(message, { ...signature, signatureData: [signature] });
  if (!signed.signatures.includes('DKIM-Signature:')) throw new Error('dkimSign produced no signature');
  if (signed.errors?.length) throw new Error(`dkimSign: ${JSON.stringify(signed.errors)}`);
  return signed.signatures + message;
}
