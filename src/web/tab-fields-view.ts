// The tab form's values and the notes beside its fields: the stored values as the form shows
// them, the MX field's hints, the A-labels of typed U-labels, the other admin's values after a
// refused save. Pure, like ./tab-view.ts, whose part they are.
import type { Translator } from '../i18n';
import { toULabel, type DomainRecord } from '../policy';
import { mxAdvice, typedPatterns, utcTime } from './guidance';

/** An MX pattern (A-labels) in the Unicode form an admin types, `*.` kept. */
function patternULabel(pattern: string): string {
  return pattern.startsWith('*.') ? `*.${toULabel(pattern.slice(2))}` : toULabel(pattern);
}

/** The form as shown: stored values, or what the person typed when it had errors. */
export interface FormValues {
  version: string;
  mode: string;
  maxAge: string;
  mx: string;
  active: boolean;
  revision: number;
}

export function storedFormValues(record: DomainRecord): FormValues {
  const { policy } = record;
  // MX entries in the form people type them (U-labels); the A-labels are shown beside the field.
  return {
    version: policy.version,
    mode: policy.mode,
    maxAge: String(policy.maxAge),
    mx: policy.mx.map(patternULabel).join(', '),
    active: policy.active,
    revision: policy.revision,
  };
}

/** The MX field's hints, most severe first (the tab's script keeps the same order). */
export const MX_HINTS = ['consequence', 'uncovered', 'stale', 'covered'] as const;

/**
 * The MX field's hints: the consequence of uncovered hosts (refused in enforce, reported in
 * testing), the uncovered hosts, entries matching nothing, "every host covered". The first one
 * that applies is shown; the others fold under it ("and 2 more notes"). With a field error, the
 * error is the field's one notice and every hint folds.
 */
export function mxHints(advice: ReturnType<typeof mxAdvice> | null, mx: string, hasError: boolean, t: Translator) {
  const texts: Record<(typeof MX_HINTS)[number], string> = {
    consequence: advice?.consequence
      ? t.plural(advice.consequence === 'refused' ? 'tab.mx.refused' : 'tab.mx.reported', advice.uncovered.length, { hosts: t.list(advice.uncovered) })
      : '',
    uncovered: advice && advice.uncovered.length > 0 ? t.plural('tab.mx.uncovered', advice.uncovered.length, { hosts: t.list(advice.uncovered) }) : '',
    stale: advice && advice.stale.length > 0 ? t.plural('tab.mx.stale', advice.stale.length, { entries: t.list(advice.stale) }) : '',
    covered: advice && advice.uncovered.length === 0 && typedPatterns(mx).length > 0 ? t.t('tab.mx.covered') : '',
  };
  const classes: Record<(typeof MX_HINTS)[number], string> = {
    consequence: `alert ${advice?.consequence === 'refused' ? 'alert-danger' : 'alert-warning'} py-2 px-3 mt-2 mb-0 small`,
    uncovered: 'form-text text-warning-emphasis',
    stale: 'form-text text-warning-emphasis',
    covered: 'form-text text-success-emphasis',
  };
  const primary = hasError ? undefined : MX_HINTS.find((name) => texts[name] !== '');
  const folded = MX_HINTS.filter((name) => name !== primary && texts[name] !== '').length;
  return {
    consequence: advice?.consequence ?? null,
    hints: MX_HINTS.map((name) => ({ name, text: texts[name], className: classes[name], primary: name === primary })),
    folded,
    moreText: folded > 0 ? t.plural('tab.notices.more', folded) : '',
  };
}

/** The A-labels of MX entries typed as U-labels, said beside the field ('' when every entry is ASCII). */
export function aLabelsNote(mx: string, t: Translator): string {
  const typed = mx.split(/[\s,]+/).filter((entry) => entry !== '');
  if (!typed.some((entry) => /[^\x00-\x7f]/.test(entry))) return '';
  const patterns = typedPatterns(mx);
  return patterns.length > 0 ? t.t('tab.mx.aLabels', { entries: patterns.join(', ') }) : '';
}

/** The other admin's stored values beside this admin's typed ones, after a refused save (409). */
export function conflictView(record: DomainRecord, form: FormValues, t: Translator) {
  const { policy } = record;
  const stored = storedFormValues(record);
  const yesNo = (on: boolean) => t.t(on ? 'tab.conflict.yes' : 'tab.conflict.no');
  const sameMx = typedPatterns(form.mx).join(',') === policy.mx.join(',');
  const rows = [
    { label: t.t('tab.label.mode'), yours: form.mode, theirs: stored.mode, same: form.mode === stored.mode },
    {
      label: t.t('tab.label.maxAge'),
      yours: form.maxAge,
      theirs: `${stored.maxAge} (${t.duration(policy.maxAge)})`,
      same: form.maxAge.trim() === stored.maxAge,
    },
    { label: t.t('tab.label.mx'), yours: form.mx, theirs: stored.mx, same: sameMx },
    { label: t.t('tab.label.active'), yours: yesNo(form.active), theirs: yesNo(stored.active), same: form.active === stored.active },
  ];
  return { time: policy.updatedAt ? utcTime(policy.updatedAt, t) : '', rows };
}
