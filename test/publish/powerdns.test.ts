import assert from 'node:assert/strict';
import { PublishError } from '../../src/publish/contract';
import { parseTxtContent, powerDnsPublisher, txtContent } from '../../src/publish/powerdns';
import { askTxt, startPdns, type TestPdns } from '../support/dns-primaries';

// The PowerDNS provider against a real pdns_server (gsqlite3) on loopback: sets replaced through
// its HTTP API are what its DNS port answers; a wrong key or a rejected change is one sentence.

describe('publish: the PowerDNS HTTP API, against pdns_server', function () {
  this.timeout(30_000);
  let pdns: TestPdns;
  let baseUrl: string;

  before(async () => {
    pdns = await startPdns(['example.test', 'other.test']);
    baseUrl = `http://127.0.0.1:${pdns.apiPort}`;
  });
  after(async () => {
    await pdns?.close();
  });

  it('replaces a TXT set, keeps the strings the caller keeps, and reads it back over the API and DNS', async () => {
    const publisher = powerDnsPublisher({ baseUrl, apiKey: pdns.apiKey });
    assert.deepEqual(await publisher.read('_mta-sts.example.test', 'TXT'), []);
    await publisher.replace('_mta-sts.example.test', 'TXT', 300, ['google-site-verification=keep-me', 'v=STSv1; id=pdns1']);
    assert.deepEqual(await askTxt(pdns.port, '_mta-sts.example.test'), [['google-site-verification=keep-me'], ['v=STSv1; id=pdns1']]);
    assert.deepEqual(((await publisher.read('_mta-sts.example.test', 'TXT')) as string[]).sort(), ['google-site-verification=keep-me', 'v=STSv1; id=pdns1']);
    await publisher.replace('_mta-sts.example.test', 'TXT', 300, []);
    assert.deepEqual(await askTxt(pdns.port, '_mta-sts.example.test'), []);
  });

  it('splits a TXT string longer than 255 bytes, and a batch spans two zones', async () => {
    const publisher = powerDnsPublisher({ baseUrl, apiKey: pdns.apiKey });
    const rua = `v=TLSRPTv1; rua=${Array.from({ length: 6 }, (_, i) => `mailto:tls-reports-${i}@reports.a-rather-long-domain-name.example`).join(',')}`;
    await publisher.batch?.([
      { name: '_smtp._tls.example.test', type: 'TXT', ttl: 300, records: [rua] },
      { name: '_mta-sts.other.test', type: 'TXT', ttl: 300, records: ['v=STSv1; id="quoted"\\'] },
    ]);
    const [parts] = await askTxt(pdns.port, '_smtp._tls.example.test');
    assert.ok(parts.length >= 2 && parts.every((part) => Buffer.byteLength(part) <= 255));
    assert.equal(parts.join(''), rua);
    assert.deepEqual(await publisher.read('_smtp._tls.example.test', 'TXT'), [rua]);
    assert.deepEqual(await askTxt(pdns.port, '_mta-sts.other.test'), [['v=STSv1; id="quoted"\\']]);
    assert.deepEqual(await publisher.read('_mta-sts.other.test', 'TXT'), ['v=STSv1; id="quoted"\\']);
    assert.equal(parseTxtContent(txtContent('a"b\\c')), 'a"b\\c');
  });

  it('a wrong API key is refused (HTTP 401): one sentence naming the zone, without the key', async () => {
    const publisher = powerDnsPublisher({ baseUrl, apiKey: 'not-the-key', zones: ['example.test'] });
    const err = await publisher.replace('_mta-sts.example.test', 'TXT', 300, ['v=STSv1; id=x']).catch((e: unknown) => e);
    assert.ok(err instanceof PublishError && !err.transient, String(err));
    assert.match(err.message, /^zone example\.test: the PowerDNS API refused the key \(HTTP 401\): MTA_STS_PDNS_API_KEY must be the server's api-key$/);
    assert.ok(!err.message.includes(pdns.apiKey));
    assert.equal(await publisher.read('_mta-sts.example.test', 'TXT'), 'unknown');
  });

  it('a name in no zone, or a change PowerDNS rejects (HTTP 422), is one sentence', async () => {
    const publisher = powerDnsPublisher({ baseUrl, apiKey: pdns.apiKey });
    await assert.rejects(
      publisher.replace('_mta-sts.nowhere.test', 'TXT', 300, ['v=STSv1; id=x']),
      /PowerDNS at http:\/\/127\.0\.0\.1:\d+ holds no zone for this name/,
    );
    // A CNAME at the name (a delegated _mta-sts): PowerDNS refuses a TXT beside it with its 422 and its reason.
    const cname = await fetch(`${baseUrl}/api/v1/servers/localhost/zones/example.test.`, {
      method: 'PATCH',
      headers: { 'X-API-Key': pdns.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        rrsets: [
          { name: '_mta-sts.cname.example.test.', type: 'CNAME', ttl: 300, changetype: 'REPLACE', records: [{ content: 'x.other.test.', disabled: false }] },
        ],
      }),
    });
    assert.equal(cname.status, 204);
    const zoned = powerDnsPublisher({ baseUrl, apiKey: pdns.apiKey, zones: ['example.test'] });
    const err = await zoned.replace('_mta-sts.cname.example.test', 'TXT', 300, ['v=STSv1; id=x']).catch((e: unknown) => e);
    assert.ok(err instanceof PublishError && !err.transient, String(err));
    assert.match(
      err.message,
      /^zone example\.test: PowerDNS rejected the change \(HTTP 422\): RRset _mta-sts\.cname\.example\.test\. IN TXT: Conflicts with pre-existing RRset$/,
    );
  });
});
