import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/deploy';

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The ```ts blocks of a Markdown file, each without its fences. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/**
 * The mounting example in the docs is the file test/package/consumer.test.ts runs: a pasted copy
 * that drifts from it (a renamed option, a helper left out) would fail as pasted, as before.
 */
describe('docs: the mounting example is examples/mount-express.ts', () => {
  const example = read('examples/mount-express.ts');

  it('docs/options.md shows the whole file, unchanged', () => {
    const blocks = tsBlocks(read('docs/options.md'));
    assert.ok(
      blocks.some((block) => block === example),
      'a ```ts block of docs/options.md equals examples/mount-express.ts (copy the file into it)',
    );
  });

  it("the README's outline is lines of the file, in its order (`// ...` where lines are left out)", () => {
    const lines = example.split('\n');
    const block = tsBlocks(read('README.md')).find((b) => b.includes('createMtaSts('));
    assert.ok(block, 'the README shows createMtaSts in a ```ts block');
    let at = 0;
    for (const line of block.trimEnd().split('\n')) {
      if (line === '// ...') continue;
      const found = lines.indexOf(line, at);
      assert.ok(found >= 0, `README line ${JSON.stringify(line)} is in examples/mount-express.ts after line ${at}`);
      at = found + 1;
    }
  });

  it('both languages create and mount the plugin with the same lines', () => {
    // From createMtaSts to the last router: no type annotations there, so the two files agree line for line.
    const mounting = (text: string) => {
      const start = text.indexOf('const mtaSts = createMtaSts({');
      const end = text.indexOf('app.use(TLSRPT_PATH, mtaSts.tlsrpt);');
      assert.ok(start > 0 && end > start, 'the example creates the plugin and mounts its routers');
      return text.slice(start, end);
    };
    assert.equal(mounting(read('examples/mount-express.mjs')), mounting(example));
  });
});
