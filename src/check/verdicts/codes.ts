// The machine codes of the DNS Check: one per finding a check can report, `<check>.<finding>`,
// e.g. `sts-txt.other-id` or `https.expiring`. Tools branch on these (the sentences may change);
// the catalogue says each in words. `<check>.internal` is a check whose own code threw.
export const CHECK_NAMES = ['sts-txt', 'sts-host', 'mx', 'tlsrpt', 'policy', 'dane', 'https', 'mx-tls', 'caa'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export const FINDINGS = {
  'sts-txt': [
    'ok',
    'apex',
    'lookup-failed',
    'no-id',
    'inactive',
    'inactive-published',
    'missing',
    'several',
    'invalid',
    'other-id',
    'delegation-cname-missing',
    'delegation-txt-missing',
  ],
  'sts-host': ['ok', 'same-addresses', 'other-addresses', 'cannot-compare', 'lookup-failed', 'elsewhere', 'target-unreachable', 'nxdomain', 'nothing'],
  mx: ['ok', 'lookup-failed', 'null-mx', 'none', 'uncovered', 'stale', 'broad'],
  tlsrpt: ['ok', 'lookup-failed', 'missing', 'several', 'invalid', 'not-published', 'differs', 'https-only'],
  policy: ['ok', 'unreadable', 'inactive', 'inactive-served', 'not-served', 'invalid', 'differs'],
  dane: ['match', 'mismatch', 'unusable', 'unsigned', 'fragile', 'not-validated', 'single-key', 'present', 'absent', 'no-hosts', 'mx-failed'],
  https: [
    'ok',
    'disabled',
    'inactive',
    'inactive-served',
    'inactive-other',
    'failed',
    'redirect',
    'status',
    'media-type',
    'too-large',
    'bom',
    'invalid',
    'differs',
    'expiring',
  ],
  'mx-tls': ['ok', 'partial', 'disabled', 'lookup-failed', 'no-hosts', 'failed', 'expiring'],
  caa: ['none', 'allows', 'present', 'forbids', 'lookup-failed'],
} as const satisfies Record<CheckName, readonly string[]>;

/** What one check can find, without the check's name. */
export type Finding<N extends CheckName> = (typeof FINDINGS)[N][number] | 'internal';
export type CheckCode = { [N in CheckName]: `${N}.${Finding<N>}` }[CheckName];

/** Every code, check by check, in the order of CHECK_NAMES. */
export const CHECK_CODES: readonly CheckCode[] = CHECK_NAMES.flatMap((name) =>
  [...FINDINGS[name], 'internal'].map((finding) => `${name}.${finding}` as CheckCode),
);

/** The facts behind a code, as plain JSON values (host names, ids, counts). */
export type CheckParams = Readonly<Record<string, string | number | readonly string[]>>;
