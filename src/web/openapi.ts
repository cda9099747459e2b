// GET /api/v1/openapi.json: the API's OpenAPI 3.1 document, served as docs/openapi.json holds it
// (the one source; the test suite checks every API answer against it). Public: it describes the
// API and holds no data, so a provisioning system can read it before it has a key.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestHandler } from 'express';

/** Where a host mounts the handler (plugin.json, `mounts`). */
export const OPENAPI_PATH = '/api/v1/openapi.json';

// dist/src/web -> docs/ (the package ships docs/), and src/web when run from the sources.
const DOCUMENT = [join(__dirname, '../../../docs/openapi.json'), join(__dirname, '../../docs/openapi.json')].find((file) => existsSync(file));

export function openApiHandler(): RequestHandler {
  let text: Promise<Buffer> | null = null;
  return (req, res, next) => {
    // Mounted at the document's own path: anything below it, or another method, is not this.
    if (req.path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    if (DOCUMENT === undefined) return next(new Error('docs/openapi.json is missing from the installed package'));
    text ??= readFile(DOCUMENT);
    text.then(
      (body) => {
        res.setHeader('Cache-Control', 'public, max-age=3600');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.type('application/json').send(body);
      },
      (err: unknown) => {
        text = null;
        next(err);
      },
    );
  };
}
