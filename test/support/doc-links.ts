import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

// The relative links of the README and docs/: a page moved or renamed, or a heading reworded,
// leaves a link that leads nowhere. These read the Markdown the way GitHub renders it: links in
// code blocks and code spans are text, not links.

/** GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped, spaces to `-`. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings (outside code blocks). */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const m = /^#{1,6} (.*)$/.exec(line);
    if (!inCode && m) anchors.add(headingAnchor(m[1]));
  }
  return anchors;
}

/** Every `[text](target)` of a Markdown file outside code, with its line number; web and mail links left out. */
export function relativeLinksOf(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  let inCode = false;
  markdown.split('\n').forEach((text, i) => {
    if (text.startsWith('```')) inCode = !inCode;
    if (inCode) return;
    const prose = text.replace(/``.*?``|`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^(https?|mailto):/.test(m[1])) links.push({ line: i + 1, target: m[1] });
    }
  });
  return links;
}

/** One sentence per link of `file` (a path under `root`) whose file or heading does not exist. */
export function brokenLinks(root: string, file: string): string[] {
  const path = join(root, file);
  const broken: string[] = [];
  for (const { line, target } of relativeLinksOf(readFileSync(path, 'utf8'))) {
    const [pathPart, anchor] = target.split('#', 2);
    const dest = pathPart === '' ? path : join(dirname(path), decodeURIComponent(pathPart));
    const where = `${file}:${line} links to ${target}`;
    if (!existsSync(dest)) {
      broken.push(`${where}, but ${relative(root, dest)} does not exist`);
    } else if (anchor !== undefined && dest.endsWith('.md') && statSync(dest).isFile() && !anchorsOf(readFileSync(dest, 'utf8')).has(anchor)) {
      broken.push(`${where}, but ${relative(root, dest)} has no heading #${anchor}`);
    }
  }
  return broken;
}
