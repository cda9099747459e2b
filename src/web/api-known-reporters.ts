// The API of the panel's known reporters (`/known-reporters`): organisations whose TLS reports count
// for readiness and alerts however they arrive (see src/store/report-trust.ts). One list for the
// whole panel, so read and written with the panel-wide hook call (domain null). Mounted before the
// per-domain routes; the name has no dot, so it is never a domain.
import express, { type Router } from 'express';
import { MAX_KNOWN_REPORTERS, MAX_REPORTER_NAME, type ReporterNameProblem } from '../service/reports';
import { requireAdmin } from './authorize';
import type { PluginContext } from './context';
import { HttpError } from './errors';

const RULES: Record<ReporterNameProblem, string> = {
  empty: 'a name must not be empty',
  'too-long': `a name has at most ${MAX_REPORTER_NAME} characters`,
  control: 'a name must not contain control characters',
  'too-many': `at most ${MAX_KNOWN_REPORTERS} names`,
  'not-text': 'names must be an array of strings',
};

export function addKnownReporterApiRoutes(router: Router, ctx: PluginContext): void {
  const { authorize } = ctx.options;

  router.get('/known-reporters', requireAdmin(authorize, 'list', false), async (_req, res) => {
    res.json({ names: await ctx.service.reports.knownReporters(), max: MAX_KNOWN_REPORTERS });
  });

  // Replaces the whole list: `{ "names": ["Google Inc.", ...] }`.
  router.put('/known-reporters', requireAdmin(authorize, 'write', false), express.json({ limit: '64kb', strict: true }), async (req, res) => {
    if (!req.is('application/json')) throw new HttpError(415, 'unsupported', 'Send the body as JSON (Content-Type: application/json).');
    const body = req.body as unknown;
    const names = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).names : undefined;
    if (!Array.isArray(names)) {
      throw new HttpError(400, 'invalid', 'names must be an array of strings', [{ field: 'names', message: 'names must be an array of strings' }]);
    }
    const result = await ctx.service.reports.saveKnownReporters(names);
    if (result.status === 'invalid') {
      const message = `${result.field}: ${RULES[result.code]}`;
      throw new HttpError(400, 'invalid', `Nothing was saved: ${message}.`, [{ field: result.field, message: RULES[result.code] }]);
    }
    res.json({ names: result.names, max: MAX_KNOWN_REPORTERS });
  });
}
