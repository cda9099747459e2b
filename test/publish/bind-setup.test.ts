import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PublishError } from '../../src/publish/contract';
import { rfc2136Publisher } from '../../src/publish/rfc2136';
import { askTxt, startBind, type TestBind } from '../support/dns-primaries';

// The BIND set-up of docs/publishing.md, as a reader copies it: its `update-policy` block, read
// from the page, runs in a real BIND 9 on loopback. The key publishes both records of the domain
// and is refused at any other name or type, so the page's promise (nothing else is touched) holds.

const ROOT = join(__dirname, '..', '..', '..');

/** The `update-policy { ... };` of the page's BIND block, for the zone `example.org` it shows. */
function documentedPolicy(): string {
  const page = readFileSync(join(ROOT, 'docs/publishing.md'), 'utf8');
  const found = /update-policy \{[^}]*\};/.exec(page.slice(page.indexOf('### BIND')));
  assert.ok(found, 'docs/publishing.md shows an update-policy block under "### BIND"');
  return found[0];
}

describe('publish: the BIND set-up of docs/publishing.md', function () {
  this.timeout(30_000);
  let bind: TestBind;

  before(async () => {
    const policy = documentedPolicy();
    assert.match(policy, /mta-sts-update/, 'the page names the key as the tests do');
    // The page's zone is example.org; here it is example.test, with a foreign TXT record to keep.
    bind = await startBind({ 'example.test': 'www IN TXT "not ours"\n' }, 'hmac-sha256', [], [], (zone) => policy.replaceAll('example.org', zone));
  });
  after(async () => {
    await bind?.close();
  });

  it('takes both records of the domain in one batch, signed by the key', async () => {
    const publisher = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key });
    await publisher.batch?.([
      { name: '_mta-sts.example.test', type: 'TXT', ttl: 300, records: ['v=STSv1; id=20261207000000'] },
      { name: '_smtp._tls.example.test', type: 'TXT', ttl: 300, records: ['v=TLSRPTv1; rua=mailto:tlsrpt@example.test'] },
    ]);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.example.test'), [['v=STSv1; id=20261207000000']]);
    assert.deepEqual(await askTxt(bind.port, '_smtp._tls.example.test'), [['v=TLSRPTv1; rua=mailto:tlsrpt@example.test']]);
  });

  it('refuses the key at any other name: the update is one sentence, the record stays', async () => {
    const publisher = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key });
    const err = await publisher.replace('www.example.test', 'TXT', 300, ['v=STSv1; id=x']).catch((e: unknown) => e);
    assert.ok(err instanceof PublishError, String(err));
    assert.match(err.message, /REFUSED/);
    assert.deepEqual(await askTxt(bind.port, 'www.example.test'), [['not ours']]);
  });
});
