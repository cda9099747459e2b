// The command the server's start banner tells a user to run: `mta-sts` only where that is on PATH.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandName } from '../../src/server/command-name';
import { CLI } from '../support/standalone';

describe('the command name in the start banner', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-command-'));
    mkdirSync(join(dir, 'global-bin'));
    mkdirSync(join(dir, 'other-bin'));
    // npm install -g links the bin to the installed package's cli.js.
    symlinkSync(CLI, join(dir, 'global-bin', 'mta-sts'));
    // Another installation's mta-sts on PATH is not this one.
    copyFileSync(CLI, join(dir, 'other-bin', 'mta-sts'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says `mta-sts` when the one on PATH is this installation (installed globally)', () => {
    assert.equal(commandName(CLI, ['/nonexistent', join(dir, 'global-bin')].join(':')), 'mta-sts');
  });

  it('says `npx mta-sts` from a clone or a host app, where none or another one is on PATH', () => {
    assert.equal(commandName(CLI, '/usr/bin:/bin'), 'npx mta-sts');
    assert.equal(commandName(CLI, join(dir, 'other-bin')), 'npx mta-sts');
    assert.equal(commandName('', join(dir, 'global-bin')), 'npx mta-sts');
  });
});
