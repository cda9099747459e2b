import assert from 'node:assert/strict';
import knexFactory from 'knex';
import { COLUMNS } from '../../src/store/columns';

const ALL_COLUMNS = Object.values(COLUMNS);
import { dialectOf } from '../../src/store/dialect';
import { PLUGIN_COLUMNS } from '../support/store';

describe('store: columns and dialect', () => {
  it('reads exactly the columns the migration adds (the migration spells them out itself)', () => {
    assert.deepEqual([...ALL_COLUMNS], [...PLUGIN_COLUMNS]);
  });

  it('names the dialect of a Knex instance from its client', async () => {
    const sqlite = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    const mysql = knexFactory({ client: 'mysql2', connection: { host: '127.0.0.1', user: 'root', database: 'test' } });
    try {
      assert.equal(dialectOf(sqlite), 'sqlite');
      assert.equal(dialectOf(mysql), 'mysql');
    } finally {
      await Promise.all([sqlite.destroy(), mysql.destroy()]);
    }
  });
});
