import assert from 'node:assert/strict';
import fc from 'fast-check';
import { API_PATH } from '../../src';
import { MAX_AGE_LIMIT, renderPolicy } from '../../src/policy';
import { PolicyStore } from '../../src/store/policy-store';
import { Csrf, TestServer, createServer, decodeEntities } from '../support/server';
import { LOOPBACK_ONLY } from '../support/loopback';

// Every field of the tab's form and of the API body, fuzzed: a request is either saved, leaving a
// valid policy that holds exactly what was sent, or refused with 400 and field errors, leaving the
// row exactly as it was. Never a 5xx, never an error in the log.

const MODES = ['none', 'testing', 'enforce'];
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

// ---- An independent model of the rules in docs/policy.md; 'unknown' where only the IDNA code can tell. ----

type Verdict<T> = { ok: true; value: T } | { ok: false } | { ok: 'unknown' };

function mxModel(value: unknown, json: boolean): Verdict<string[]> {
  const items = typeof value === 'string' ? [value] : Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : null;
  if (items === null) return { ok: false };
  if (items.some((s) => /[^\x00-\x7f]/.test(s))) return { ok: 'unknown' };
  if (!json && Array.isArray(value)) return { ok: 'unknown' };
  const out: string[] = [];
  for (const raw of items.flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== '')) {
    let entry = raw.toLowerCase();
    if (entry.endsWith('.')) entry = entry.slice(0, -1);
    const host = entry.startsWith('*.') ? entry.slice(2) : entry;
    if (host.includes('xn--')) return { ok: 'unknown' };
    const labels = host.split('.');
    if (!HOST.test(host) || host.length > 253 || /^\d+$/.test(labels[labels.length - 1])) return { ok: false };
    if (!out.includes(entry)) out.push(entry);
  }
  return out.length > 100 ? { ok: false } : { ok: true, value: out };
}

function maxAgeModel(value: unknown, json: boolean): Verdict<number> {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 && value <= MAX_AGE_LIMIT ? { ok: true, value } : { ok: false };
  if (json || typeof value !== 'string') return { ok: false };
  const digits = value.trim();
  if (!/^[0-9]{1,12}$/.test(digits) || Number(digits) > MAX_AGE_LIMIT) return { ok: false };
  return { ok: true, value: Number(digits) };
}

function activeModel(value: unknown, json: boolean): Verdict<boolean> {
  if (typeof value === 'boolean') return { ok: true, value };
  if (json) return { ok: false };
  const yes = ['1', 'on', 'true'];
  const no = ['0', '', 'false'];
  if (typeof value === 'string') return yes.includes(value) ? { ok: true, value: true } : no.includes(value) ? { ok: true, value: false } : { ok: false };
  if (Array.isArray(value) && value.length <= 2 && value.every((v) => yes.includes(v) || no.includes(v)))
    return { ok: true, value: value.some((v) => yes.includes(v)) };
  return { ok: false };
}

interface Settings {
  active: boolean;
  mode: string;
  maxAge: number;
  mx: string[];
}

/** What a save of `changes` onto `current` must give: the settings, the fields in error, or 'unknown'. */
function model(
  current: Settings,
  changes: Record<string, unknown>,
  json: boolean,
): { ok: true; value: Settings } | { ok: false; fields: string[] } | { ok: 'unknown' } {
  const next = { ...current };
  const bad: string[] = [];
  let unknown = false;
  for (const [field, value] of Object.entries(changes)) {
    let verdict: Verdict<unknown>;
    if (field === 'version') verdict = value === 'STSv1' ? { ok: true, value } : { ok: false };
    else if (field === 'mode') verdict = typeof value === 'string' && MODES.includes(value) ? { ok: true, value } : { ok: false };
    else if (field === 'maxAge') verdict = maxAgeModel(value, json);
    else if (field === 'active') verdict = activeModel(value, json);
    else if (field === 'mx') verdict = mxModel(value, json);
    else verdict = { ok: false };
    if (verdict.ok === false) bad.push(field);
    else if (verdict.ok === 'unknown') unknown = true;
    else if (field !== 'version') (next as Record<string, unknown>)[field] = verdict.value;
  }
  if (bad.length > 0) return { ok: false, fields: bad };
  if (unknown) return { ok: 'unknown' };
  if (next.mode !== 'none' && next.mx.length === 0) return { ok: false, fields: ['mx'] };
  return { ok: true, value: next };
}

function deepEqualRows(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

// ---- Generators ----

const NASTY = [
  "' OR '1'='1' --",
  '"; DROP TABLE domain; --',
  '1; UPDATE domain SET active=0',
  '${7*7}',
  '<%= 7*7 %>',
  '{{7*7}}',
  '../../etc/passwd',
  '\u0000',
  '\u202email.example.org',
  '%00',
  '%0d%0aSet-Cookie: x=1',
  'NaN',
  'Infinity',
  '-0',
  '1e3',
  '0x10',
  ' 86400 ',
  '\u00a086400',
  '\u0661\u0662\u0663',
  '\uff18\uff16\uff14\uff10\uff10',
  'true',
  'on',
  'null',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '\ud800',
  'STSV1',
  'stsv1',
  'ENFORCE',
  'enforce ',
  '*.',
  '*.*.example.org',
  'mail..example.org',
  '-mail.example.org',
  'mail.example.123',
  'xn--zz.example',
  'bücher.example',
  '*.bücher.example',
  'MAIL.EXAMPLE.ORG.',
  'a.b',
  `${'a'.repeat(64)}.example`,
  `${'a.'.repeat(130)}example`,
  '127.0.0.1',
  '[::1]',
  'mail.example.org,,,',
];
const VALID: Record<string, string[]> = {
  version: ['STSv1'],
  mode: MODES,
  maxAge: ['0', '86400', '604800', String(MAX_AGE_LIMIT), String(MAX_AGE_LIMIT + 1), '-1', ' 3600 ', '000000086400'],
  mx: ['mail.example.org', 'mail.example.org, *.mx.example.net', 'MX1.Example.ORG.  mx2.example.org', '*.example.org', 'mail.bücher.example', ''],
  active: ['1', '1', '1', '1', '0', 'on', '', 'true', 'false'],
};
const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 9000 }).map((n) => 'mail.example.org,'.repeat(Math.ceil(n / 17))) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 9000 }).map((n) => '9'.repeat(n)) },
);
const formValue = (field: string) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...VALID[field]) }, { weight: 1, arbitrary: text });
/** A field absent, once, or repeated (a form may send a name several times). */
const formField = (field: string) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant([] as string[]) },
    { weight: 8, arbitrary: formValue(field).map((v) => [v]) },
    { weight: 1, arbitrary: fc.array(formValue(field), { minLength: 2, maxLength: 3 }) },
  );
const formBody = fc.record({
  version: formField('version'),
  mode: formField('mode'),
  maxAge: formField('maxAge'),
  mx: formField('mx'),
  active: formField('active'),
  extra: fc.array(
    fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', '_csrf2', 'id', 'revision[]'), fc.string({ maxLength: 10 })), text),
    { maxLength: 3 },
  ),
});

const jsonScalar = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.boolean(),
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, MAX_AGE_LIMIT, MAX_AGE_LIMIT + 1, 2 ** 53, -0, 1e308, 86400.5),
);
const jsonValue = (field: string) =>
  fc.oneof(
    {
      weight: 12,
      arbitrary: fc.constantFrom<unknown>(
        ...(field === 'maxAge'
          ? [86400, 0, MAX_AGE_LIMIT]
          : field === 'active'
            ? [true, false]
            : field === 'mx'
              ? [['mail.example.org'], 'a.example.org b.example.org', ['*.example.org', 'MAIL.example.org.'], []]
              : VALID[field]),
      ),
    },
    { weight: 3, arbitrary: jsonScalar },
    { weight: 1, arbitrary: fc.array(jsonScalar, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...NASTY, 'mail.example.org'), { maxLength: 120 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), jsonScalar, { maxKeys: 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown) },
  );
const apiBody = fc.record(
  {
    version: jsonValue('version'),
    mode: jsonValue('mode'),
    maxAge: jsonValue('maxAge'),
    mx: jsonValue('mx'),
    active: jsonValue('active'),
    unknown: fc.oneof(
      { weight: 4, arbitrary: fc.constant({}) },
      {
        weight: 1,
        arbitrary: fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'id', 'domain', 'served'), fc.string({ maxLength: 8 })), jsonScalar, {
          minKeys: 1,
          maxKeys: 2,
        }),
      },
    ),
  },
  { requiredKeys: [] },
);

describe('fuzz: form fields and API bodies', () => {
  let server: TestServer;
  let store: PolicyStore;
  let csrf: Csrf;
  let errors: unknown[];
  const realError = console.error;

  before(async () => {
    server = await createServer({ plugin: LOOPBACK_ONLY });
    store = new PolicyStore(server.db.knex, { table: server.db.domainTable, keyColumn: 'domain', activeColumn: 'active' }, null);
    csrf = await server.csrf('example.org');
    errors = [];
    console.error = (...args: unknown[]) => void errors.push(args);
  });
  after(async () => {
    console.error = realError;
    await server?.close();
  });
  afterEach(() => assert.deepEqual(errors, [], 'nothing was logged as an error'));

  async function current(): Promise<{ row: Record<string, unknown>; settings: Settings; revision: number }> {
    const row = await server.row('example.org');
    const record = await store.find('example.org');
    assert.ok(record?.valid, 'the stored policy is always valid');
    const { active, mode, maxAge, mx, revision } = record.policy;
    return { row, settings: { active, mode, maxAge, mx }, revision };
  }

  /** After a save: what is stored equals the model (when it knows), and what is served equals what is stored. */
  async function assertSaved(expected: Settings | null): Promise<Settings> {
    const after = await current();
    if (expected) assert.deepEqual(after.settings, expected);
    const served = await server.policy('mta-sts.example.org');
    if (after.settings.active) {
      assert.equal(served.status, 200);
      assert.equal(served.text, renderPolicy({ version: 'STSv1', ...after.settings, mode: after.settings.mode as 'none' }));
    } else assert.equal(served.status, 404);
    return after.settings;
  }

  it('tab form: saved and valid, or 400 with field errors and nothing saved; never 5xx (150 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(formBody, async (fields) => {
        const before = await current();
        const pairs: Array<[string, string]> = [
          ['_csrf', csrf.token],
          ['revision', String(before.revision)],
        ];
        for (const field of ['version', 'mode', 'maxAge', 'mx', 'active'] as const) for (const v of fields[field]) pairs.push([field, v]);
        pairs.push(...fields.extra);
        // A browser follows the 303 after a save (POST/redirect/GET) to the tab it shows.
        const res = await server
          .request()
          .post('/mta-sts/example.org')
          .set('Cookie', csrf.cookie)
          .type('form')
          .send(new URLSearchParams(pairs).toString())
          .redirects(1);
        // What the form handler reads: each known field as sent (a repeated one as a list), an
        // absent checkbox as "0"; other names are not fields of the form and are ignored.
        const changes: Record<string, unknown> = {};
        for (const field of ['version', 'mode', 'maxAge', 'mx', 'active'] as const) {
          const values = fields[field];
          if (values.length > 0) changes[field] = values.length === 1 ? values[0] : values;
        }
        if (changes.active === undefined) changes.active = '0';
        const want = model(before.settings, changes, false);
        assert.ok(res.status === 200 || res.status === 400, `status ${res.status}`);
        const after = await current();
        if (res.status === 200 && /name="intent"/.test(res.text) && deepEqualRows(after.row, before.row)) {
          // Unchecking Active on a policy senders may hold asks first how to turn it off: nothing saved.
          assert.ok(
            before.settings.active && before.settings.mode !== 'none' && changes.active !== undefined,
            'asked to confirm only when turning an active policy off',
          );
        } else if (res.status === 200) {
          assert.notEqual(want.ok, false, `saved although the model says ${JSON.stringify(want)}: ${JSON.stringify(changes)}`);
          await assertSaved(want.ok === true ? want.value : null);
        } else {
          assert.notEqual(want.ok, true, `refused although valid: ${JSON.stringify(changes)}`);
          const shown = [...res.text.matchAll(/<div class="invalid-feedback" id="mta-sts-([a-z-]+)-error">([\s\S]*?)<\/div>/g)];
          assert.ok(shown.length > 0, 'the fields in error are marked');
          for (const m of shown) assert.ok(decodeEntities(m[2]).trim().length > 5, 'each with a message');
          if (want.ok === false) {
            const ids = shown.map((m) => m[1]);
            for (const field of want.fields) assert.ok(ids.includes(field === 'maxAge' ? 'max-age' : field), `${field} is marked (${ids.join(', ')})`);
          }
          assert.deepEqual((await current()).row, before.row, 'nothing saved');
        }
      }),
      { numRuns: 150, seed: 20261128 },
    );
  });

  it('tab form: a revision field that is not the current one is refused (400 or 409), nothing saved (100 runs)', async () => {
    const revision = fc.oneof(
      fc.constantFrom('', '-1', '1.5', '1e2', ' 1', '0x1', '99999999999', '١', 'NaN'),
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.nat().map(String),
    );
    await fc.assert(
      fc.asyncProperty(revision, async (given) => {
        const before = await current();
        fc.pre(given !== String(before.revision));
        const res = await server.postForm(
          'example.org',
          { version: 'STSv1', mode: 'testing', maxAge: '3600', mx: 'other.example.org', active: '1', revision: given },
          csrf,
        );
        assert.ok(res.status === 400 || res.status === 409, `${JSON.stringify(given)} -> ${res.status}`);
        assert.deepEqual((await current()).row, before.row);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('API body: saved and valid, or 400 with field errors and nothing saved; never 5xx (200 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(apiBody, fc.constantFrom('none', 'none', 'current', 'current', 'stale', 'bad'), async (body, revisionKind) => {
        const before = await current();
        const { unknown, ...known } = body;
        const changes: Record<string, unknown> = { ...known };
        for (const [k, v] of Object.entries(unknown ?? {}))
          if (!(k in changes)) Object.defineProperty(changes, k, { value: v, enumerable: true, configurable: true, writable: true });
        const revision =
          revisionKind === 'current' ? before.revision : revisionKind === 'stale' ? before.revision + 1 : revisionKind === 'bad' ? '1' : undefined;
        const text = JSON.stringify(revision === undefined ? changes : { ...changes, revision });
        const res = await server.request().put(`${API_PATH}/example.org`).type('json').send(text);
        assert.match(res.headers['content-type'] ?? '', /application\/json/);
        const want = model(before.settings, changes, true);
        if (revisionKind === 'bad') {
          assert.equal(res.status, 400);
          assert.ok(res.body.errors.some((e: { field: string }) => e.field === 'revision'));
        } else if (revisionKind === 'stale') {
          assert.equal(res.status, 409);
          assert.deepEqual(res.body.current.revision, before.revision, 'with the current values');
        } else if (res.status === 200) {
          assert.notEqual(want.ok, false, `saved although the model says ${JSON.stringify(want)}: ${text.slice(0, 300)}`);
          const stored = await assertSaved(want.ok === true ? want.value : null);
          assert.deepEqual({ active: res.body.active, mode: res.body.mode, maxAge: res.body.maxAge, mx: res.body.mx }, stored, 'the answer is what was stored');
          return;
        } else {
          assert.equal(res.status, 400, `status ${res.status}: ${res.text.slice(0, 200)}`);
          assert.notEqual(want.ok, true, `refused although valid: ${text.slice(0, 300)} ${res.text}`);
          assert.ok(Array.isArray(res.body.errors) && res.body.errors.length > 0);
          for (const e of res.body.errors) assert.ok(typeof e.field === 'string' && typeof e.message === 'string' && e.message.length > 5);
          if (want.ok === false)
            for (const field of want.fields)
              assert.ok(
                res.body.errors.some((e: { field: string }) => e.field === field),
                `an error for ${field}: ${res.text}`,
              );
        }
        assert.deepEqual((await current()).row, before.row, 'nothing saved');
      }),
      { numRuns: 200, seed: 8461 },
    );
  });

  it('API body: anything but a JSON object is 400 with a body error, nothing saved (150 runs)', async () => {
    const notAnObject = fc.oneof(
      fc
        .jsonValue()
        .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
        .map((v) => JSON.stringify(v)),
      // (An empty body is an empty change, saved as "nothing changed"; not part of this property.)
      fc
        .string({ unit: 'binary', maxLength: 60 })
        .filter((s) => s.trim() !== '')
        .filter((s) => {
          try {
            const v = JSON.parse(s);
            return v === null || typeof v !== 'object' || Array.isArray(v);
          } catch {
            return true;
          }
        }),
      fc.constantFrom('{', '{"mode":', "{'mode':'none'}", '{"mode":"none",}', 'nul', '[{"mode":"none"}]', '"{}"', '{"a":1}{"b":2}'),
    );
    await fc.assert(
      fc.asyncProperty(notAnObject, async (text) => {
        const before = await current();
        const res = await server.request().put(`${API_PATH}/example.org`).type('json').send(text);
        assert.equal(res.status, 400, `${JSON.stringify(text)} -> ${res.status}`);
        assert.deepEqual(
          res.body.errors?.map((e: { field: string }) => e.field),
          ['body'],
        );
        assert.deepEqual((await current()).row, before.row);
      }),
      { numRuns: 150, seed: 3 },
    );
  });

  it('refuses bodies over the size limit with 413 and saves nothing (form and API)', async () => {
    const before = await current();
    const form = await server.postForm('example.org', { mx: 'a'.repeat(40_000), revision: String(before.revision), active: '1', mode: 'testing' }, csrf);
    assert.equal(form.status, 413);
    const many = await server
      .request()
      .post('/mta-sts/example.org')
      .set('Cookie', csrf.cookie)
      .type('form')
      .send(
        new URLSearchParams([
          ['_csrf', csrf.token],
          ['revision', String(before.revision)],
          ...Array.from({ length: 60 }, (_, i): [string, string] => [`f${i}`, 'x']),
        ]).toString(),
      );
    assert.equal(many.status, 413, 'too many fields');
    const api = await server.put('example.org', { mx: 'a'.repeat(40_000) });
    assert.equal(api.status, 413);
    assert.deepEqual((await current()).row, before.row);
  });
});
