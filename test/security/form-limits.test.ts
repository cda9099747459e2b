import assert from 'node:assert/strict';
import { FORM_FIELD_LIMIT } from '../../src/web/admin';
import { TestServer, createServer, formValues, textOf } from '../support/server';

// The tab's form field limit holds whoever parsed the body: the plugin's own parser refuses more
// than FORM_FIELD_LIMIT fields, but a host's body parser that ran first (with its own, higher
// limit) leaves the plugin's parser nothing to do.

describe('form field limit, also when the host parsed the body first', () => {
  for (const hostBodyParser of [false, true]) {
    describe(hostBodyParser ? 'host body parser first' : 'plugin parser only', () => {
      let server: TestServer;
      before(async () => {
        server = await createServer({ hostBodyParser });
      });
      after(() => server?.close());

      it(`refuses a form of more than ${FORM_FIELD_LIMIT} fields with 413 and a clear message, saving nothing`, async () => {
        const page = await server.csrf('example.org');
        const fields: Record<string, string> = { ...formValues(page.html), mode: 'enforce', mx: 'mail.example.org', active: '1' };
        for (let i = 0; fields && Object.keys(fields).length <= FORM_FIELD_LIMIT; i++) fields[`extra${i}`] = 'x';
        const before = await server.row('example.org');
        const res = await server.postForm('example.org', fields, page);
        assert.equal(res.status, 413, textOf(res.text).slice(0, 300));
        assert.deepEqual(await server.row('example.org'), before, 'nothing saved');
        assert.match(textOf(res.text), /The form has too many fields \(at most 50\); nothing was saved\./);
        const de = await server.postForm('example.org', fields, page).set('Accept-Language', 'de');
        assert.match(textOf(de.text), /Das Formular hat zu viele Felder \(höchstens 50\); nichts wurde gespeichert\./);
      });

      it('accepts the form as the tab sends it', async () => {
        const res = await server.submitTab('example.org', { mode: 'testing', mx: 'mail.example.org', active: '1' });
        assert.equal(res.status, 200, textOf(res.text).slice(0, 300));
      });
    });
  }
});
