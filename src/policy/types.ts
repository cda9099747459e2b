import type { Problem } from './problems';

/** The three modes RFC 8461 section 5 defines. */
export const MODES = ['none', 'testing', 'enforce'] as const;
export type Mode = (typeof MODES)[number];

/** The only policy version RFC 8461 defines. */
export const VERSION = 'STSv1';

/** RFC 8461 section 3.2: max_age is at most 31557600 seconds (about one year). */
export const MAX_AGE_LIMIT = 31557600;
export const DEFAULT_MAX_AGE = 86400;

/** Policy bodies are fetched with a 64 KiB cap by senders; this keeps us far below it. */
export const MAX_MX_ENTRIES = 100;

/** A domain's MTA-STS settings as the plugin stores them. MX entries are A-labels. */
export interface PolicySettings {
  active: boolean;
  version: typeof VERSION;
  mode: Mode;
  maxAge: number;
  mx: string[];
}

/** The stored settings plus what the plugin derives and tracks for them. */
export interface StoredPolicy extends PolicySettings {
  /** The domain in A-label form. */
  domain: string;
  /** Policy id for the `_mta-sts` TXT record; null until a policy was first saved. */
  id: string | null;
  /** ISO 8601 UTC time of the last change that produced a new id. */
  updatedAt: string | null;
  /** Increments with every accepted save; used for optimistic concurrency. */
  revision: number;
}

/** A problem with one input field: its code and values, and an English sentence naming the field. */
export interface FieldError extends Problem {
  field: string;
}

export const DEFAULT_SETTINGS: PolicySettings = {
  active: false,
  version: VERSION,
  mode: 'none',
  maxAge: DEFAULT_MAX_AGE,
  mx: [],
};
