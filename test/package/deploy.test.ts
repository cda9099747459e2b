import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyParts, parseContainerfile } from '../support/containerfile';
import { freePort, NPM_FLAGS, packCheckout, prebuiltMirror, ROOT, run, servesASavedPolicy, userEnv, type Installed } from '../support/deploy';

const DOC = join(ROOT, 'docs/deploy.md');
const UNIT = join(ROOT, 'deploy/mta-sts.service');
const CONTAINERFILE = join(ROOT, 'deploy/Containerfile');

/** The shell lines of a docs/deploy.md section (its indented blocks), `sudo ` and comments dropped. */
function documented(section: string): string[] {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf(`\n## ${section}\n`);
  assert.ok(start >= 0, `docs/deploy.md has a section "${section}"`);
  const end = text.indexOf('\n## ', start + 1);
  return text
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((line) => line.startsWith('    '))
    .map((line) =>
      line
        .replace(/#.*$/, '')
        .trim()
        .replace(/^sudo /, ''),
    )
    .filter(Boolean);
}

/** A documented `npm ...` line as arguments, the tarball placeholder replaced by `tarball`. */
function npmArgs(line: string, tarball: string): string[] {
  const words = line.split(/\s+/);
  assert.equal(words[0], 'npm', line);
  return words.slice(1).map((word) => (/mta-sts-plugin-X\.tgz$/.test(word) ? tarball : word));
}

/** The install lines of a section: every `npm install` (and `npm ci`) there. */
function installLines(section: string): string[] {
  return documented(section).filter((line) => /^npm (install|ci)\b/.test(line));
}

/**
 * Each documented way to install, run as written in a clean temporary directory from what a user
 * has (the packed checkout, or a clone of its last commit), then the server started from what that
 * install put on disk: a policy saved with the CLI is served by Host. The Containerfile's shape is
 * checked here; it is built and run for real in container.test.ts. docs/deploy.md says so.
 */
describe('deploy: every documented install path installs, starts and serves a policy', function () {
  this.timeout(600_000);
  let dir: string;
  let tarball: string;
  let mirror: Awaited<ReturnType<typeof prebuiltMirror>>;
  let npmEnv: NodeJS.ProcessEnv;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-deploy-'));
    tarball = await packCheckout(dir);
    mirror = await prebuiltMirror(dir);
    npmEnv = userEnv({ ...mirror.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' });
  });
  after(async () => {
    await mirror?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('`npm install -g ./mta-sts-plugin-X.tgz` puts `mta-sts` on PATH, which serves a saved policy', async () => {
    const prefix = join(dir, 'global');
    const env = { ...npmEnv, npm_config_prefix: prefix, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
    const [line] = installLines('The package tarball').filter((l) => / -g /.test(l));
    assert.ok(line, 'docs/deploy.md documents a global install');
    await run('npm', [...npmArgs(line, tarball), ...NPM_FLAGS], { cwd: dir, env });
    const home = join(dir, 'global-home');
    mkdirSync(home);
    const installed: Installed = { command: 'mta-sts', args: [], env: userEnv({ PATH: env.PATH }) };
    const served = await servesASavedPolicy(installed, ['serve', '--host', '127.0.0.1', '--port', String(await freePort())], home);
    assert.deepEqual(served, { health: 200, status: 200, text: 'version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 86400\r\n' });
  });

  it("into /opt/mta-sts with --omit=dev, started by the systemd unit's ExecStart", async () => {
    const opt = join(dir, 'opt/mta-sts');
    mkdirSync(opt, { recursive: true });
    const [line] = installLines('The package tarball').filter((l) => /--omit=dev/.test(l));
    assert.ok(line, 'docs/deploy.md documents the /opt/mta-sts install');
    const unit = readFileSync(UNIT, 'utf8');
    assert.ok(unit.includes(line.replace(/\S*mta-sts-plugin-X\.tgz/, '')), "the unit's comment has the documented install line");
    await run('npm', [...npmArgs(line, tarball), ...NPM_FLAGS], { cwd: opt, env: npmEnv });
    assert.ok(!existsSync(join(opt, 'node_modules/typescript')), 'no dev dependency installed');

    const exec = /^ExecStart=(\S+) (\S+) (.*)$/m.exec(unit) as RegExpExecArray;
    assert.equal(exec[1], '/usr/bin/node');
    const cliPath = join(dir, exec[2]);
    assert.ok(existsSync(cliPath), `${exec[2]} exists after the install`);
    const accounts = /^#\s+(\/opt\/mta-sts\/\S+) admin add/m.exec(unit)?.[1] as string;
    assert.ok(existsSync(join(dir, accounts)), `the unit's account command ${accounts} exists after the install`);
    const [port, metrics] = [await freePort(), await freePort()];
    const serveArgs = exec[3].replace('--port 3000', `--port ${port}`).replace('--metrics-port 9464', `--metrics-port ${metrics}`).split(' ');
    const state = join(dir, 'var/lib/mta-sts');
    mkdirSync(state, { recursive: true });
    const installed: Installed = { command: process.execPath, args: [cliPath], env: userEnv({ NODE_ENV: 'production' }) };
    const served = await servesASavedPolicy(installed, serveArgs, state);
    assert.equal(served.health, 200);
    assert.equal(served.status, 200);
    assert.match(served.text, /^version: STSv1\r\nmode: testing\r\nmx: mail\.example\.org\r\n/);
  });

  it('from a git checkout: `npm ci` and `npm pack` there (dev dependencies for the build only), installed with --omit=dev', async () => {
    const checkout = join(dir, 'checkout');
    await run('git', ['clone', '--quiet', ROOT, checkout], { cwd: dir });
    const lines = documented('From a git checkout').filter((line) => line.startsWith('npm '));
    assert.deepEqual(
      lines.map((line) => line.split(' ').slice(0, 2).join(' ')),
      ['npm ci', 'npm pack', 'npm install'],
    );
    await run('npm', [...npmArgs(lines[0], ''), ...NPM_FLAGS], { cwd: checkout, env: npmEnv });
    await run('npm', npmArgs(lines[1], ''), { cwd: checkout, env: npmEnv });
    const packed = (await run('git', ['status', '--porcelain', '--ignored'], { cwd: checkout })).match(/mta-sts-plugin-[\d.]+\.tgz/)?.[0];
    assert.ok(packed, '`npm pack` left a tarball in the checkout');
    const opt = join(dir, 'opt-from-checkout');
    mkdirSync(opt);
    await run('npm', [...npmArgs(lines[2], join(checkout, packed)), ...NPM_FLAGS], { cwd: opt, env: npmEnv });
    const installed: Installed = { command: join(opt, 'node_modules/.bin/mta-sts'), args: [], env: userEnv() };
    const served = await servesASavedPolicy(installed, ['serve', '--host', '127.0.0.1', '--port', String(await freePort())], opt);
    assert.deepEqual([served.health, served.status], [200, 200], served.text);
  });

  describe('deploy/Containerfile', () => {
    const stages = parseContainerfile(CONTAINERFILE);

    it('builds in two stages: dev dependencies in the first, --omit=dev in the runtime stage, no embedded flag, not root, a health check', async () => {
      assert.equal(stages.length, 2);
      const [build, runtime] = stages;
      assert.ok(build.name, 'the build stage is named');
      const runs = (stage: typeof build) => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.rest);
      assert.ok(
        runs(build).some((line) => /\bnpm ci\b/.test(line) && !/--omit=dev/.test(line)),
        'the build stage installs the dev dependencies',
      );
      assert.ok(
        runs(runtime).some((line) => /\bnpm (install|ci)\b.*--omit=dev/.test(line)),
        'the runtime stage installs with --omit=dev',
      );
      assert.doesNotMatch(readFileSync(CONTAINERFILE, 'utf8').replace(/^#.*$/gm, ''), /MTA_STS_EMBEDDED/);
      const user = runtime.instructions.filter((i) => i.op === 'USER').pop()?.rest;
      assert.ok(user && !/^(root|0)(:|$)/.test(user), `USER ${user} is not root`);
      assert.match(runtime.instructions.find((i) => i.op === 'HEALTHCHECK')?.rest ?? '', /\/healthz/);
      const tracked = new Set((await run('git', ['ls-files'], { cwd: ROOT })).split('\n'));
      for (const { rest } of build.instructions.filter((i) => i.op === 'COPY')) {
        for (const source of copyParts(rest).sources) {
          const path = source.replace(/\/$/, '');
          assert.ok(tracked.has(path) || [...tracked].some((file) => file.startsWith(`${path}/`)), `COPY ${source}: in the checkout`);
        }
      }
    });
  });
});
