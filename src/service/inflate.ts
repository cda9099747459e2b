// gunzip with a ceiling: the output is counted as zlib produces it, and decompression stops at
// the first chunk past the limit, so a small "decompression bomb" costs at most the limit (plus
// one chunk) of memory and the time to produce it, never its full expanded size.
import { createGunzip } from 'node:zlib';

export type Inflate = { ok: true; data: Buffer } | { ok: false; code: 'too-large' | 'bad-gzip' };

export function gunzipLimited(input: Buffer, limit: number): Promise<Inflate> {
  return new Promise((resolve) => {
    const gunzip = createGunzip({ chunkSize: 64 * 1024 });
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: Inflate) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    gunzip.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish({ ok: false, code: 'too-large' });
        gunzip.destroy();
        return;
      }
      chunks.push(chunk);
    });
    gunzip.on('error', () => finish({ ok: false, code: 'bad-gzip' }));
    gunzip.on('end', () => finish({ ok: true, data: Buffer.concat(chunks, size) }));
    gunzip.end(input);
  });
}
