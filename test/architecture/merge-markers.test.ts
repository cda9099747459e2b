import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Work arrives as merged branches: a conflict left in a page or a source file must not land. Code
// would fail to compile, but a page, a view or a catalogue can carry the markers silently.

const ROOT = join(__dirname, '..', '..', '..');
const MARKER = /^(?:<{7}|>{7}) |^={7}$/m;

describe('no merge-conflict markers in the tracked text files', () => {
  it('every tracked .md, .ts, .mts, .mjs, .ejs, .json, .yml and .css file is free of <<<<<<<, ======= and >>>>>>> lines', () => {
    const files = execFileSync('git', ['ls-files', '*.md', '*.ts', '*.mts', '*.mjs', '*.ejs', '*.json', '*.yml', '*.css'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    assert.ok(files.length > 100, `git ls-files listed ${files.length} files: the listing itself is broken`);
    assert.deepEqual(
      files.filter((file) => MARKER.test(readFileSync(join(ROOT, file), 'utf8'))),
      [],
    );
  });
});
