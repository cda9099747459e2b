import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anchorsOf, brokenLinks } from '../support/doc-links';

// The README is the front door and docs/ holds the reference: a reader follows their links from
// page to page, so every relative link must reach a file, and its #anchor a heading there.

const ROOT = join(__dirname, '..', '..', '..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('docs: every relative link of README.md and docs/*.md leads somewhere', () => {
  for (const page of PAGES) {
    it(`${page}: each linked file exists, and each #anchor is a heading of it`, () => {
      assert.deepEqual(brokenLinks(ROOT, page), []);
    });
  }

  it('finds a missing file, a missing heading and a wrong relative path, and reads links in code as text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'doc-links-'));
    try {
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'docs', 'a.md'), '# Page A\n\n## The `mta-sts` command\n');
      writeFileSync(
        join(dir, 'README.md'),
        [
          '# Front',
          '[ok](docs/a.md) [ok](docs/a.md#page-a) [ok](docs/a.md#the-mta-sts-command) [here](#front)',
          '[gone](docs/b.md) [no heading](docs/a.md#page-b) [wrong base](a.md)',
          '`[code](docs/c.md)` and [web](https://example.org/x)',
          '```md',
          '[block](docs/d.md)',
          '```',
        ].join('\n'),
      );
      assert.deepEqual(brokenLinks(dir, 'README.md'), [
        'README.md:3 links to docs/b.md, but docs/b.md does not exist',
        'README.md:3 links to docs/a.md#page-b, but docs/a.md has no heading #page-b',
        'README.md:3 links to a.md, but a.md does not exist',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names headings as GitHub does', () => {
    assert.deepEqual(
      [...anchorsOf("# Certificates for mta-sts.<domain>\n### 2. Beside a panel's database\n## TLS reports (RFC 8460)\n")],
      ['certificates-for-mta-stsdomain', '2-beside-a-panels-database', 'tls-reports-rfc-8460'],
    );
  });
});
