// The tab's one script, served by the plugin itself (no CDN, nothing inline), so that a host's
// Content-Security-Policy of `script-src 'self'` is enough. It is a static file compiled from
// client/tab.mts; the URL carries its hash, so browsers may keep it for a year and still get a
// new version the moment it changes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import type { Logger } from '../logger';

export const ASSETS_PATH = '/assets';
const SCRIPT_NAME = 'tab.mjs';

interface Asset {
  body: Buffer;
  hash: string;
}

let script: Asset | null | undefined;

/** The compiled script beside this module (dist/src/web/client/tab.mjs), or null when missing. */
function loadScript(logger: Logger): Asset | null {
  if (script !== undefined) return script;
  try {
    const body = readFileSync(join(__dirname, 'client', SCRIPT_NAME));
    script = { body, hash: createHash('sha256').update(body).digest('base64url').slice(0, 16) };
  } catch {
    // Without it the tab still works fully (it is an enhancement); say so once.
    logger.warn(`${join(__dirname, 'client', SCRIPT_NAME)} is missing: the MTA-STS tab works, without its live hints and copy buttons`);
    script = null;
  }
  return script;
}

/** Where the tab loads its script from, or null when there is none to load. */
export function tabScriptUrl(adminPath: string, logger: Logger): string | null {
  const asset = loadScript(logger);
  return asset ? `${adminPath}${ASSETS_PATH}/${SCRIPT_NAME}?v=${asset.hash}` : null;
}

/**
 * Serves the script. Mounted before the admin check and `no-store`: it is the same public file
 * for everyone (it holds no data; the texts come with the page), so it may be cached.
 */
export function createAssetRouter(logger: Logger): Router {
  const router = express.Router();
  router.get(`/${SCRIPT_NAME}`, (req, res) => {
    const asset = loadScript(logger);
    if (!asset) {
      res.status(404).type('text').send('Not found');
      return;
    }
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('ETag', `"${asset.hash}"`);
    // Versioned URL: immutable. Any other URL of it: revalidate every time.
    res.setHeader('Cache-Control', req.query.v === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (req.get('if-none-match') === `"${asset.hash}"`) {
      res.status(304).end();
      return;
    }
    res.send(asset.body);
  });
  return router;
}
