import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Buildah, spawnUntil } from '../support/container';
import { freePort, prebuiltMirror, ROOT, run } from '../support/deploy';

const TAG = 'localhost/mta-sts-ci';
const API_KEY = 'container-test-key-0123456789abcdef';

interface ImageConfig {
  User: string;
  Env: string[];
  Cmd: string[];
  WorkingDir: string;
  Healthcheck?: { Test: string[] };
}

/**
 * deploy/Containerfile built as a user builds it (docs/deploy.md), from a clone of the last commit,
 * with buildah in chroot isolation on vfs storage (no engine here), on a base image made from
 * Debian's packages under the name the Containerfile gives. The image then runs its own CMD: the
 * health check, a policy saved through the JSON API and served by Host, SIGTERM drains and exits 0.
 */
describe('deploy/Containerfile: built with buildah, the image runs and serves a saved policy', function () {
  this.timeout(1_200_000);
  let dir: string;
  let buildah: Buildah;
  let config: ImageConfig;
  let mirror: Awaited<ReturnType<typeof prebuiltMirror>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-container-'));
    buildah = new Buildah(dir);
    await buildah.makeBaseImage();
    const context = join(dir, 'context');
    await run('git', ['clone', '--quiet', ROOT, context], { cwd: dir });
    // better-sqlite3's prebuilt binary comes from GitHub, which is not reachable here: its mirror
    // setting (a build argument of the Containerfile) points at a loopback copy.
    mirror = await prebuiltMirror(dir);
    await buildah.build(context, TAG, { npm_config_better_sqlite3_binary_host: String(mirror.env.npm_config_better_sqlite3_binary_host) });
    const inspected = JSON.parse(await buildah.run(['inspect', '--type', 'image', TAG])) as { Docker: { config: ImageConfig } };
    config = inspected.Docker.config;
  });
  after(async () => {
    await mirror?.close();
    if (buildah) await buildah.run(['rm', '--all']).catch(() => undefined);
    if (buildah) await buildah.run(['rmi', '--all', '--force']).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs as the unprivileged node user, with a HEALTHCHECK on /healthz and no embedded flag baked in', () => {
    assert.equal(config.User, 'node');
    assert.match(config.Healthcheck?.Test.join(' ') ?? '', /\/healthz/);
    assert.ok(!config.Env.some((entry) => entry.startsWith('MTA_STS_EMBEDDED=')), config.Env.join(' '));
    assert.equal(config.WorkingDir, '/var/lib/mta-sts');
  });

  it('has no dev dependency in the runtime image', async () => {
    const container = await buildah.run(['from', '--pull-never', TAG]);
    const root = await buildah.run(['mount', container]);
    try {
      assert.ok(existsSync(join(root, 'opt/mta-sts/node_modules/mta-sts-plugin/dist/src/cli.js')), 'the package is installed');
      assert.ok(!existsSync(join(root, 'opt/mta-sts/node_modules/typescript')), 'TypeScript is not');
      assert.ok(!existsSync(join(root, 'src')), 'the build stage is not in it');
    } finally {
      await buildah.run(['rm', container]);
    }
  });

  it('starts its CMD: the HEALTHCHECK passes, a policy saved by the API is served, SIGTERM drains and exits 0', async () => {
    const container = await buildah.run(['from', '--pull-never', TAG]);
    const [port, metrics] = [await freePort(), await freePort()];
    // The CMD as the image has it; only the ports change, the container sharing this host's network.
    const command = config.Cmd.map((arg) => (arg === '9464' ? String(metrics) : arg === '0.0.0.0' ? '127.0.0.1' : arg));
    // The volume as `podman run -v mta-sts-data:/var/lib/mta-sts/data` gives it: a directory of the host's.
    const volume = join(dir, 'volume');
    mkdirSync(volume);
    chownSync(volume, 1000, 1000);
    const args = buildah.runArgs(container, { PORT: String(port), API_KEY }, { [volume]: '/var/lib/mta-sts/data' }, command);
    const server = await spawnUntil(buildah, args, /^Metrics/m);
    const base = `http://127.0.0.1:${port}`;
    try {
      const check = (config.Healthcheck?.Test ?? []).slice(1).join(' ').replace('127.0.0.1:3000', `127.0.0.1:${port}`);
      assert.equal(await buildah.run(['run', container, '--', 'sh', '-c', `${check} && echo healthy`]), 'healthy');

      const saved = await request(base)
        .put('/api/v1/mta-sts/example.org')
        .set('X-API-Key', API_KEY)
        .send({ active: true, mode: 'testing', mx: ['mail.example.org'] });
      assert.equal(saved.status, 200, saved.text);
      const policy = await request(base).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
      assert.equal(policy.status, 200);
      assert.match(policy.text, /^version: STSv1\r\nmode: testing\r\nmx: mail\.example\.org\r\n/);

      // `podman stop` sends SIGTERM to the container's process: here the node process of the CMD.
      const pid = (await run('pgrep', ['-f', `^/usr/local/bin/node .*--metrics-port ${metrics}`], { cwd: dir })).trim().split('\n')[0];
      process.kill(Number(pid), 'SIGTERM');
      assert.equal(await server.exited, 0, server.output());
    } finally {
      await run('pkill', ['-KILL', '-f', `--metrics-port ${metrics}`], { cwd: dir }).catch(() => undefined);
    }
    // The database is in the volume, written by the node user.
    assert.equal(statSync(join(volume, 'panel.sqlite')).uid, 1000);
    await buildah.run(['rm', container]);
  });
});
