// The MTA-STS tab in the browser: makes the server's hints live while a person types, turns the
// "use these MX hosts" link into a button that fills the field in place, shows the retiring
// explanation as soon as Active is unchecked, and adds copy buttons to the DNS records.
// The tab works fully without it (every hint is also rendered by the server, every action is a
// plain form or link). No eval, no inline handlers, no HTML from strings: text goes in as text.
// The rules mirror src/web/guidance.ts; the texts are the server's catalogue templates, handed over
// in the section's data-l10n attribute.

type Params = Readonly<Record<string, string | number>>;

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;
const DAY = 86400;
const MAX_AGE_LIMIT = 31557600;
const UNITS: ReadonlyArray<readonly [number, string]> = [
  [604800, 'week'],
  [86400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

function enhance(root: HTMLElement): void {
  let l10n: Record<string, string> = {};
  try {
    l10n = JSON.parse(root.dataset.l10n ?? '{}') as Record<string, string>;
  } catch {
    return; // no texts, no enhancements: the server-rendered page stands as it is
  }
  const say = (key: string, params: Params = {}): string =>
    (l10n[key] ?? '').replace(PLACEHOLDER, (whole, name: string) => (name in params ? String(params[name]) : whole));
  const plural = (base: string, count: number, params: Params = {}): string => say(`${base}.${count === 1 ? 'one' : 'other'}`, { ...params, count });
  const list = (items: readonly string[]): string =>
    items.length <= 1 ? items.join('') : say('list.last', { first: items.slice(0, -1).join(', '), last: items[items.length - 1] });
  const find = <T extends Element = HTMLElement>(selector: string): T | null => root.querySelector<T>(selector);
  const show = (element: HTMLElement | null, text: string): void => {
    if (!element) return;
    if (element.textContent !== text) element.textContent = text;
    element.hidden = text === '';
  };

  const mode = find<HTMLSelectElement>('#mta-sts-mode');
  const maxAge = find<HTMLInputElement>('#mta-sts-max-age');
  const mx = find<HTMLInputElement>('#mta-sts-mx');
  const active = find<HTMLInputElement>('#mta-sts-active');
  const hosts = (root.dataset.mxHosts ?? '').split(' ').filter((host) => host !== '');

  function duration(seconds: number): string {
    if (seconds === 0) return plural('duration.second', 0);
    const parts: string[] = [];
    let rest = seconds;
    for (const [size, unit] of UNITS) {
      const count = Math.floor(rest / size);
      if (count > 0 && parts.length < 2) {
        parts.push(plural(`duration.${unit}`, count));
        rest -= count * size;
      }
    }
    return parts.join(' ');
  }

  function updateMaxAge(): void {
    if (!maxAge) return;
    const text = maxAge.value.trim();
    // While the server's error stands for this value, it is the field's one message.
    const flagged = maxAge.getAttribute('aria-invalid') === 'true';
    const valid = !flagged && /^\d{1,12}$/.test(text);
    const seconds = valid ? Number(text) : NaN;
    const inRange = valid && seconds <= MAX_AGE_LIMIT;
    // "= 1 week" only for a number the policy can hold: nothing for text, one warning above the maximum.
    const equals = find('#mta-sts-max-age-equals');
    if (equals) equals.textContent = inRange ? say('tab.maxAge.equals', { duration: duration(seconds) }) : '';
    show(
      find('#mta-sts-max-age-warning [data-hint="warning"]'),
      !valid ? '' : !inRange ? say('tab.maxAge.tooLong') : seconds < DAY ? say('tab.maxAge.short') : '',
    );
  }

  function updateMode(): void {
    if (!mode) return;
    const skip = find('#mta-sts-mode-advice [data-hint="skip-testing"]');
    if (skip) skip.hidden = !(mode.value === 'enforce' && root.dataset.servedMode === 'none');
  }

  function updateMx(): void {
    if (!mx || !mode || hosts.length === 0) return;
    const patterns = typedPatterns(mx.value);
    // Nothing typed yet: the suggestion says what to enter; there is nothing to flag.
    const uncovered = patterns.length === 0 ? [] : hosts.filter((host) => !patterns.some((pattern) => matches(pattern, host)));
    const stale = patterns.filter((pattern) => !hosts.some((host) => matches(pattern, host)));
    const consequence = uncovered.length === 0 ? null : mode.value === 'enforce' ? 'refused' : mode.value === 'testing' ? 'reported' : null;
    // The same order as the server (tab.ts MX_HINTS): the most severe shown, the rest folded.
    const texts: Array<[string, string]> = [
      ['consequence', consequence ? plural(`tab.mx.${consequence}`, uncovered.length, { hosts: list(uncovered) }) : ''],
      ['uncovered', uncovered.length > 0 ? plural('tab.mx.uncovered', uncovered.length, { hosts: list(uncovered) }) : ''],
      ['stale', stale.length > 0 ? plural('tab.mx.stale', stale.length, { entries: list(stale) }) : ''],
      ['covered', uncovered.length === 0 && patterns.length > 0 ? say('tab.mx.covered') : ''],
    ];
    const alert = find('#mta-sts-mx-advice [data-hint="consequence"]');
    if (alert) {
      alert.classList.toggle('alert-danger', consequence === 'refused');
      alert.classList.toggle('alert-warning', consequence !== 'refused');
    }
    const slot = find('#mta-sts-mx-advice [data-hint-slot]');
    const more = find<HTMLDetailsElement>('#mta-sts-mx-advice [data-hint-more]');
    if (!slot || !more) return;
    const flagged = mx.getAttribute('aria-invalid') === 'true';
    let primary: string | null = null;
    let folded = 0;
    for (const [name, text] of texts) {
      const element = find(`#mta-sts-mx-advice [data-hint="${name}"]`);
      if (!element) continue;
      show(element, text);
      if (text !== '' && primary === null && !flagged) {
        primary = name;
        if (element.parentElement !== slot) slot.append(element);
      } else {
        if (text !== '') folded++;
        if (element.parentElement !== more) more.append(element);
      }
    }
    const summary = more.querySelector('summary');
    if (summary) summary.textContent = folded > 0 ? plural('tab.notices.more', folded) : '';
    more.hidden = folded === 0;
  }

  /** Once a field is edited, its error from the server is about a value no longer there: drop it. */
  function clearError(field: HTMLElement | null): void {
    if (!field || field.getAttribute('aria-invalid') !== 'true') return;
    field.removeAttribute('aria-invalid');
    field.classList.remove('is-invalid');
    const error = field.id ? document.getElementById(`${field.id}-error`) : null;
    if (error) error.hidden = true;
  }

  function updateRetire(): void {
    const panel = find('#mta-sts-retire');
    if (!panel || !active || root.dataset.retire !== 'yes') return;
    // Shown while Active is unchecked; once shown by the server (after a save attempt), it stays.
    if (!active.checked) panel.hidden = false;
    else if (!panel.dataset.keep) panel.hidden = true;
  }

  // "Use these as MX entries": a link without the script (the server fills the field), a button with it.
  const fillLink = find<HTMLAnchorElement>('a[data-fill-mx]');
  if (fillLink && mx && hosts.length > 0) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn btn-sm btn-outline-secondary ms-1';
    button.textContent = say('tab.mx.fill') || fillLink.textContent;
    button.addEventListener('click', () => {
      mx.value = hosts.join(', ');
      mx.dispatchEvent(new Event('input', { bubbles: true }));
      mx.focus();
    });
    fillLink.replaceWith(button);
  }

  const panel = find('#mta-sts-retire');
  if (panel && !panel.hidden) panel.dataset.keep = 'yes';
  // The "Saved" notice is about the values as saved: it goes as soon as the form is edited again.
  const form = find<HTMLFormElement>('form[method="post"]');
  const dropSaved = () => {
    for (const notice of root.querySelectorAll<HTMLElement>('[data-after-save]')) notice.remove();
  };
  form?.addEventListener('input', dropSaved);
  form?.addEventListener('change', dropSaved);
  maxAge?.addEventListener('input', () => {
    clearError(maxAge);
    updateMaxAge();
  });
  mx?.addEventListener('input', () => {
    clearError(mx);
    updateMx();
  });
  mode?.addEventListener('change', () => {
    updateMode();
    updateMx();
  });
  active?.addEventListener('change', updateRetire);
  updateMaxAge();
  updateMode();
  updateMx();
  updateRetire();

  addCopyButtons(root, say);
}

/** The MX entries as typed, read leniently (as guidance.ts does): lower case, A-labels, no trailing dot. */
function typedPatterns(text: string): string[] {
  const patterns: string[] = [];
  for (const entry of text.split(/[\s,]+/)) {
    const pattern = entry === '' ? null : normalizePattern(entry);
    if (pattern !== null && !patterns.includes(pattern)) patterns.push(pattern);
  }
  return patterns;
}

function normalizePattern(entry: string): string | null {
  const wildcard = entry.startsWith('*.');
  const name = aLabel(wildcard ? entry.slice(2) : entry);
  return name === null ? null : wildcard ? `*.${name}` : name;
}

/** A host name in A-label form via the browser's own URL parser (which applies UTS 46), or null. */
function aLabel(name: string): string | null {
  const trimmed = name.trim().replace(/\.$/, '');
  if (trimmed === '' || /[/?#@:\s\\[\]]/.test(trimmed)) return null;
  try {
    const host = new URL(`http://${trimmed}/`).hostname;
    // Two or more labels, and not an IPv4 address (an all-numeric last label), as on the server.
    return /^[a-z0-9-]+(?:\.[a-z0-9-]+)+$/.test(host) && !/\.\d+$/.test(host) ? host : null;
  } catch {
    return null;
  }
}

/** RFC 8461 section 4.1: exact, or `*.` matching exactly one extra leftmost label. */
function matches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}

function addCopyButtons(root: HTMLElement, say: (key: string, params?: Params) => string): void {
  const status = root.querySelector<HTMLElement>('[data-copy-status]');
  for (const source of root.querySelectorAll<HTMLElement>('[data-copy]')) {
    const what = source.dataset.copy ?? '';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = source instanceof HTMLTextAreaElement ? 'btn btn-sm btn-outline-secondary mt-1' : 'btn btn-sm btn-outline-secondary ms-2 py-0';
    button.append(say('tab.copy'));
    const hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = ` ${what}`;
    button.append(hidden);
    button.addEventListener('click', () => {
      const text = source instanceof HTMLTextAreaElement ? source.value : (source.textContent ?? '');
      copy(text, source).then(
        () => {
          if (status) status.textContent = say('tab.copy.done', { what });
        },
        () => {
          if (status) status.textContent = say('tab.copy.failed');
        },
      );
    });
    // A space between the value and the button, so that selecting the row copies "value Copy", not "valueCopy".
    source.after(' ', button);
  }
}

/** The clipboard API where the page may use it; else the text is selected for Ctrl+C by hand. */
async function copy(text: string, source: HTMLElement): Promise<void> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
  } catch {
    // Refused (no permission, page not focused): fall back to selecting it.
  }
  select(source);
  throw new Error('no clipboard access');
}

function select(source: HTMLElement): void {
  if (source instanceof HTMLTextAreaElement) {
    source.focus();
    source.select();
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(source);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

for (const root of document.querySelectorAll<HTMLElement>('[data-mta-sts-tab]')) enhance(root);
