// `mta-sts admin add|passwd|remove <user>`: the standalone server's accounts. The password comes
// from a prompt on a terminal or from stdin (--password-stdin), never from the command line,
// where every user of the machine could read it in the process list.
import type { Command } from 'commander';
import { checkConnection, openDatabase } from '../config/database';
import { resolveSettings, type SettingFlags } from '../config/cli-settings';
import { AccountError, Accounts } from '../server/accounts';
import { migrateServerTables } from '../server/server-schema';
import { CliError } from './output';
import { cliKnexLog } from './runtime';

const TABLE_PREFIX = 'mta_sts_';

async function withAccounts<T>(program: Command, work: (accounts: Accounts) => Promise<T>): Promise<T> {
  const settings = resolveSettings(program.opts<SettingFlags>(), process.env);
  const { knex, target } = openDatabase(settings.database, 'database', { log: cliKnexLog });
  try {
    await checkConnection(knex, target);
    // The server's own tables, made here as `serve` makes them: accounts before the first start.
    await migrateServerTables(knex, TABLE_PREFIX);
    return await work(new Accounts(knex, `${TABLE_PREFIX}users`));
  } catch (err) {
    if (err instanceof AccountError) throw new CliError(err.message);
    throw err;
  } finally {
    await knex.destroy();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the echo's or the file's, not the password's.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Reads a line from the terminal without echoing it. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (result: string | Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') return done(value);
        if (char === '\u0003') return done(new CliError('cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}

async function newPassword(opts: { passwordStdin?: boolean }): Promise<string> {
  if (opts.passwordStdin) return readStdin();
  if (!process.stdin.isTTY) throw new CliError('give the password on stdin with --password-stdin, or run this on a terminal to be asked for it');
  const first = await prompt('New password: ');
  const second = await prompt('Repeat it: ');
  if (first !== second) throw new CliError('the two passwords differ; nothing was changed');
  return first;
}

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description("the standalone server's admin accounts (scrypt-hashed, in the mta_sts_users table)");
  admin
    .command('add <user>')
    .description('create an account; the password from a prompt, or stdin with --password-stdin')
    .option('--password-stdin', 'read the password from stdin (one line)')
    .action(async (user: string, opts: { passwordStdin?: boolean }) => {
      const password = await newPassword(opts);
      await withAccounts(program, (accounts) => accounts.add(user, password));
      process.stdout.write(`added ${user}\n`);
    });
  admin
    .command('passwd <user>')
    .description("set an account's password")
    .option('--password-stdin', 'read the password from stdin (one line)')
    .action(async (user: string, opts: { passwordStdin?: boolean }) => {
      const password = await newPassword(opts);
      await withAccounts(program, (accounts) => accounts.setPassword(user, password));
      process.stdout.write(`password of ${user} changed\n`);
    });
  admin
    .command('remove <user>')
    .description('delete an account (its open sessions end at their next request)')
    .action(async (user: string) => {
      await withAccounts(program, (accounts) => accounts.remove(user));
      process.stdout.write(`removed ${user}\n`);
    });
  for (const command of admin.commands) command.exitOverride();
  admin.exitOverride();
}
