import express, { Request, Response, Router } from 'express';
import type { FieldError } from '../policy';
import { applyChanges } from '../policy';
import type { DomainRecord } from '../store/policy-store';
import { requireAdmin, noStore } from './authorize';
import type { PluginContext } from './context';
import { HttpError, errorHandler } from './errors';
import { FormValues, Notice, TabState, renderTabFragment } from './tab';

const FORM_FIELDS = ['version', 'mode', 'maxAge', 'mx'] as const;

/** The admin router the host mounts at `adminPath`: the tab as a page, and its form posts. */
export function createAdminRouter(ctx: PluginContext, log: (err: unknown) => void): Router {
  const router = express.Router();
  router.use(noStore, requireAdmin(ctx.options.authorize));
  router.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 }));
  router.use(...ctx.csrf.protect);

  router.get('/:domain', async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    await showTab(ctx, req, res, record, 200, {});
  });

  // A GET, so the button works as a plain link or form without JavaScript, and changes nothing.
  router.get('/:domain/dns-check', async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const check = await ctx.dnsCheck(record);
    await showTab(ctx, req, res, record, 200, { dnsCheck: check });
  });

  router.post('/:domain', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const changes: Record<string, unknown> = {};
    for (const field of FORM_FIELDS) if (body[field] !== undefined) changes[field] = body[field];
    // An unchecked checkbox sends nothing: absence means "not active".
    changes.active = body.active ?? '0';
    const revisionText = typeof body.revision === 'string' ? body.revision : '';
    if (!/^\d{1,10}$/.test(revisionText)) throw new HttpError(400, 'bad-form', 'The form is missing its revision field; reload the page and try again.');

    const result = await ctx.store.save(req.params.domain as string, (current) => applyChanges(current, changes, 'form'), {
      expectedRevision: Number(revisionText),
      now: ctx.options.now,
    });
    switch (result.status) {
      case 'not-found':
        throw notFound();
      case 'invalid': {
        const record = await findOrThrow(ctx, req.params.domain);
        const typed: FormValues = {
          version: text(body.version), mode: text(body.mode), maxAge: text(body.maxAge), mx: text(body.mx),
          active: changes.active === '1' || changes.active === 'on', revision: Number(revisionText),
        };
        const notices: Notice[] = [{ kind: 'danger', text: 'Nothing was saved: correct the fields marked below.' }];
        return showTab(ctx, req, res, record, 400, { form: typed, errors: result.errors, notices });
      }
      case 'conflict':
        return showTab(ctx, req, res, result.record, 409, {
          notices: [{ kind: 'warning', text: 'Nothing was saved: another administrator changed this policy while you were editing. The current values are shown; make your change again.' }],
        });
      case 'saved': {
        const { record, changed } = result;
        ctx.cache.applyLocal(record.domain, record.hostActive && record.policy.active ? record.policy : null);
        const notice: Notice = changed
          ? { kind: 'success', text: `Saved. The new policy id is ${record.policy.id}: publish the DNS records below.` }
          : { kind: 'info', text: `Nothing changed, so the policy id stays ${record.policy.id ?? '(none yet)'}.` };
        return showTab(ctx, req, res, record, 200, { notices: [notice] });
      }
    }
  });

  router.use((_req, _res, next) => next(new HttpError(404, 'not-found', 'There is no such MTA-STS page.')));
  router.use(errorHandler(ctx.pages, log));
  return router;
}

export async function findOrThrow(ctx: PluginContext, name: unknown): Promise<DomainRecord> {
  const record = typeof name === 'string' ? await ctx.store.find(name) : null;
  if (!record) throw notFound();
  return record;
}

function notFound(): HttpError {
  return new HttpError(404, 'not-found', 'There is no such domain in this panel.');
}

async function showTab(
  ctx: PluginContext, req: Request, res: Response, record: DomainRecord, status: number,
  state: TabState,
): Promise<void> {
  const content = renderTabFragment(ctx, req, res, record, state);
  await ctx.pages.page(req, res, { title: `MTA-STS: ${record.domain}`, domain: record.domain, content, status });
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
