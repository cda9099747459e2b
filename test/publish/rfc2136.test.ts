import assert from 'node:assert/strict';
import { PublishError } from '../../src/publish/contract';
import { rfc2136Publisher } from '../../src/publish/rfc2136';
import { askTxt, startBind, type TestBind } from '../support/dns-primaries';

// The RFC 2136 provider against a real BIND 9 on loopback: updates signed with TSIG are applied,
// read back by direct queries; a wrong key is refused and said in one sentence.

describe('publish: RFC 2136 UPDATE with TSIG, against BIND', function () {
  this.timeout(30_000);
  let bind: TestBind;

  before(async () => {
    bind = await startBind({ 'example.test': '_mta-sts IN TXT "google-site-verification=keep-me"\n', 'other.test': '' });
  });
  after(async () => {
    await bind?.close();
  });

  it('replaces a TXT set, keeps what the caller keeps, and reads it back', async () => {
    const publisher = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key });
    assert.deepEqual(await publisher.read('_mta-sts.example.test', 'TXT'), ['google-site-verification=keep-me']);
    await publisher.replace('_mta-sts.example.test', 'TXT', 300, ['google-site-verification=keep-me', 'v=STSv1; id=20261207T1']);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.example.test'), [['google-site-verification=keep-me'], ['v=STSv1; id=20261207T1']]);
    assert.deepEqual(((await publisher.read('_mta-sts.example.test', 'TXT')) as string[]).sort(), [
      'google-site-verification=keep-me',
      'v=STSv1; id=20261207T1',
    ]);
    // A name that does not exist reads as no records; removing a set empties it.
    assert.deepEqual(await publisher.read('_smtp._tls.example.test', 'TXT'), []);
    await publisher.replace('_mta-sts.example.test', 'TXT', 300, ['google-site-verification=keep-me']);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.example.test'), [['google-site-verification=keep-me']]);
  });

  it('applies a batch over two zones, each zone found by its SOA', async () => {
    const publisher = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key });
    await publisher.batch?.([
      { name: '_mta-sts.other.test', type: 'TXT', ttl: 300, records: ['v=STSv1; id=a1'] },
      { name: '_smtp._tls.other.test', type: 'TXT', ttl: 300, records: ['v=TLSRPTv1; rua=mailto:r@other.test'] },
      { name: '_mta-sts.example.test', type: 'TXT', ttl: 300, records: ['google-site-verification=keep-me', 'v=STSv1; id=b2'] },
    ]);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.other.test'), [['v=STSv1; id=a1']]);
    assert.deepEqual(await askTxt(bind.port, '_smtp._tls.other.test'), [['v=TLSRPTv1; rua=mailto:r@other.test']]);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.example.test'), [['google-site-verification=keep-me'], ['v=STSv1; id=b2']]);
  });

  it('a wrong secret is refused (NOTAUTH, BADSIG): one sentence naming the zone and the reason, nothing changed, no secret in it', async () => {
    const wrong = { ...bind.key, secret: Buffer.alloc(32, 7) };
    const publisher = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: wrong });
    const before = await askTxt(bind.port, '_mta-sts.example.test');
    const err = await publisher.replace('_mta-sts.example.test', 'TXT', 300, ['v=STSv1; id=forged']).then(
      () => assert.fail('the update was accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PublishError);
    assert.equal(err.transient, false);
    assert.match(err.message, /^zone example\.test: the server refused the TSIG signature of key "mta-sts-update" \(NOTAUTH, BADSIG\)/);
    assert.ok(!err.message.includes(wrong.secret.toString('base64')) && !err.message.includes(bind.key.secret.toString('base64')));
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.example.test'), before);
  });

  it('an unknown key name is refused (BADKEY), a name outside --dns-zones is refused before sending', async () => {
    const unknown = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: { ...bind.key, name: 'no-such-key' } });
    await assert.rejects(
      unknown.replace('_mta-sts.example.test', 'TXT', 300, ['v=STSv1; id=x']),
      /zone example\.test: the server does not know the TSIG key "no-such-key" \(NOTAUTH, BADKEY\)/,
    );
    const zoned = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key, zones: ['other.test'] });
    await assert.rejects(
      zoned.replace('_mta-sts.example.test', 'TXT', 300, ['v=STSv1; id=x']),
      /^PublishError: name _mta-sts\.example\.test: no zone of --dns-zones \(other\.test\) holds this name/,
    );
  });

  it('signs with HMAC-SHA512 too', async () => {
    const bind512 = await startBind({ 'example.test': '' }, 'hmac-sha512');
    try {
      const publisher = rfc2136Publisher({ host: '127.0.0.1', port: bind512.port, key: bind512.key });
      await publisher.replace('_mta-sts.example.test', 'TXT', 300, ['v=STSv1; id=sha512']);
      assert.deepEqual(await askTxt(bind512.port, '_mta-sts.example.test'), [['v=STSv1; id=sha512']]);
    } finally {
      await bind512.close();
    }
  });

  it('a server that is down reads as unknown and fails a change as transient', async () => {
    const publisher = rfc2136Publisher({ host: '127.0.0.1', port: 1, key: bind.key, zones: ['example.test'], timeoutMs: 2000 });
    assert.equal(await publisher.read('_mta-sts.example.test', 'TXT'), 'unknown');
    const err = await publisher.replace('_mta-sts.example.test', 'TXT', 300, ['v=STSv1; id=x']).catch((e: unknown) => e);
    assert.ok(err instanceof PublishError && err.transient, String(err));
    assert.match(err.message, /zone example\.test: the update did not reach the server: 127\.0\.0\.1:1 refused the connection/);
  });
});
