// The process guard of `mta-sts serve`: while it serves, a dependency's rejected promise or
// throwing callback is logged once with a machine code (never its message, which may quote SQL
// with a session id) and the process keeps running. Without the guard, Node ends the process at
// the first one. A real Node process, as `mta-sts serve` runs: the guard from dist/, a timer
// playing the dependency.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../support/standalone';

const GUARD = join(ROOT, 'dist/src/server/process-guard.js');
const SECRET = 'sid-3f9a1c0e7b2d4a6f8e1c3b5d7f9a2c4e';

/** Runs a script with the guard installed (or not); its JSON log lines, its stdout and exit code. */
function run(guarded: boolean): Promise<{ code: number | null; lines: Array<Record<string, unknown>>; stdout: string; stderr: string }> {
  const script = `
    const { installProcessGuard } = require(${JSON.stringify(GUARD)});
    const log = { error: (fields, message) => process.stdout.write(JSON.stringify({ ...fields, msg: message }) + '\\n') };
    const remove = ${guarded} ? installProcessGuard(log) : () => undefined;
    const failure = () => Object.assign(new Error("select sess from sessions where sid = '${SECRET}' - connect ECONNREFUSED"), { code: 'ECONNREFUSED' });
    // A dependency that rejects with nobody listening, five times, and one whose callback throws.
    for (let i = 0; i < 5; i++) setTimeout(() => Promise.reject(failure()), 10 * i);
    setTimeout(() => { throw Object.assign(new TypeError('callback failed near ${SECRET}'), { code: 'ERR_TEST' }); }, 60);
    setTimeout(() => { process.stdout.write('still serving\\n'); remove(); }, 150);
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        lines: stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      }),
    );
  });
}

describe('the process guard of mta-sts serve', function () {
  this.timeout(20_000);

  it('without it, the first unhandled rejection ends the process (the failure it guards against)', async () => {
    const result = await run(false);
    assert.notEqual(result.code, 0);
    assert.doesNotMatch(result.stdout, /still serving/);
  });

  it('keeps the process running, and logs each kind of failure once with a code, never its message', async () => {
    const result = await run(true);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /still serving/);
    assert.deepEqual(
      result.lines.map((line) => [line.code, line.errorName, line.errorCode]),
      [
        ['MTA_STS_UNHANDLED_REJECTION', 'Error', 'ECONNREFUSED'],
        ['MTA_STS_UNCAUGHT_EXCEPTION', 'TypeError', 'ERR_TEST'],
      ],
      'five rejections of one kind are one line',
    );
    assert.ok(!result.stdout.includes(SECRET), 'the message (SQL with a session id) is not logged');
    assert.ok(!result.stderr.includes(SECRET));
  });
});
