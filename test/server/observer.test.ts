// The `observer` option: validated like every option, its hooks called after the plugin's work,
// and a hook that throws never breaks what it watches.
import assert from 'node:assert/strict';
import knexFactory from 'knex';
import request from 'supertest';
import express from 'express';
import { createMtaSts } from '../../src';

describe('the observer option', () => {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  after(() => knex.destroy());

  it('is validated: an object of known hook functions, else a TypeError naming it', () => {
    assert.throws(
      () => createMtaSts({ knex, mailHostname: 'mail.example.org', observer: 'yes' as never }),
      /options\.observer must be an object of hook functions/,
    );
    assert.throws(
      () => createMtaSts({ knex, mailHostname: 'mail.example.org', observer: { reload: () => undefined } as never }),
      /options\.observer\.reload is not a known hook/,
    );
    assert.throws(
      () => createMtaSts({ knex, mailHostname: 'mail.example.org', observer: { dnsCheck: 1 } as never }),
      /options\.observer\.dnsCheck must be a function/,
    );
  });

  it('reports served set loads with their size, and a throwing hook does not stop the policy file', async () => {
    await knex.schema.createTable('domain', (t) => {
      t.string('domain').primary();
      t.boolean('active').defaultTo(true);
    });
    await knex('domain').insert({ domain: 'example.org' });
    const loads: Array<{ durationMs: number; names: number }> = [];
    const mtaSts = createMtaSts({
      knex,
      mailHostname: 'mail.example.org',
      logger: { error: () => undefined, warn: () => undefined, info: () => undefined },
      observer: {
        servedSetLoaded: (event) => {
          loads.push(event);
          throw new Error('a broken metrics library');
        },
      },
    });
    await mtaSts.migrate();
    await knex('domain').update({ mta_sts_active: 1, mta_sts_mode: 'testing', mta_sts_mx: 'mail.example.org', mta_sts_id: '20261201000000' });
    const app = express().use(mtaSts.wellKnown);
    const res = await request(app).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
    assert.equal(res.status, 200);
    assert.equal(loads.length, 1);
    assert.equal(loads[0].names, 1);
    assert.ok(loads[0].durationMs >= 0);
  });
});
