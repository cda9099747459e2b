// migrate, rollback, status, certificate-names: the plugin's schema and what it serves.
import type { Command } from 'commander';
import type { MissingHostPart } from '../options/storage';
import { missingHostPartError } from '../config/cli-settings';
import { CliError, EXIT, printJson } from './output';
import type { WithRuntime } from './policy';

export function registerDatabaseCommands(program: Command, withRuntime: WithRuntime): void {
  program
    .command('migrate')
    .description("add the plugin's columns to the domain table (safe to run again)")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(
        async ({ service }) => {
          const applied = await service.schema.migrate();
          if (opts.json) return printJson({ applied });
          process.stdout.write(applied.length === 0 ? 'already up to date\n' : `applied: ${applied.join(', ')}\n`);
        },
        { columns: false },
      );
    });

  program
    .command('rollback')
    .description("remove exactly the plugin's columns, and every policy in them")
    .requiredOption('--yes', 'confirm: every stored policy is lost')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(
        async ({ service }) => {
          const reverted = await service.schema.rollback();
          if (opts.json) return printJson({ reverted });
          process.stdout.write(reverted.length === 0 ? 'nothing to roll back\n' : `reverted: ${reverted.join(', ')}\n`);
        },
        { columns: false },
      );
    });

  program
    .command('status')
    .description('migrations applied, columns present, and how many names are served')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const code = await withRuntime(
        async ({ service, settings, target }) => {
          const status = await service.schema.status();
          // A table or column the settings name that is missing: the sentence naming its flag, on stderr.
          const problems = status.missingHost.map((part) => missingHostPartError(part, target, '').message);
          if (opts.json) printJson({ database: settings.database, preset: settings.preset, ...status });
          else {
            process.stdout.write(`preset: ${settings.preset} (domain table ${settings.schema.domainTable})\n`);
            process.stdout.write(`migrations applied: ${status.applied.join(', ') || 'none'}\n`);
            process.stdout.write(`migrations pending: ${status.pending.join(', ') || 'none'}\n`);
            process.stdout.write(`panel tables and columns missing: ${status.missingHost.map(partName).join(', ') || 'none'}\n`);
            process.stdout.write(`columns missing: ${status.missingColumns.join(', ') || 'none'}\n`);
            const why = status.missingHost.length > 0 ? 'panel tables or columns missing' : 'columns missing';
            process.stdout.write(`names served: ${status.served ?? `unknown (${why})`}\n`);
          }
          for (const problem of problems) process.stderr.write(`mta-sts: ${problem}\n`);
          if (problems.length > 0) return EXIT.usage;
          return status.pending.length > 0 || status.missingColumns.length > 0 ? EXIT.problems : EXIT.ok;
        },
        { columns: false, hostSchema: false },
      );
      process.exitCode = code;
    });

  program
    .command('certificate-names')
    .description('mta-sts.<domain> for every domain and alias with a served policy, one per line: what the certificate must cover')
    .option('--json', 'print JSON')
    .option('--status', "with each name, the built-in ACME client's state (`mta-sts serve --acme`): issued until, skipped or failed and why, pending")
    .action(async (opts: { json?: boolean; status?: boolean }) => {
      await withRuntime(async ({ service }) => {
        const names = await service.certificates.names();
        if (names === null) throw new CliError(`reading the served policies failed: ${service.served.whyUnavailable()}; no names to give`);
        if (!opts.status) {
          if (opts.json) return printJson({ names });
          if (names.length > 0) process.stdout.write(`${names.join('\n')}\n`);
          return;
        }
        const rows = new Map((await service.certificates.status()).map((row) => [row.name, row]));
        const status = names.map((name) => {
          const row = rows.get(name);
          return { name, state: row?.state ?? 'pending', notAfter: row?.notAfter ?? null, reason: row?.reason ?? null, nextAttempt: row?.nextAttempt ?? null };
        });
        if (opts.json) return printJson({ names, status });
        for (const s of status) {
          const detail =
            s.state === 'issued'
              ? `valid until ${s.notAfter ?? '?'}${s.reason ? ` (last attempt: ${s.reason})` : ''}`
              : (s.reason ?? (s.state === 'pending' ? 'not ordered yet' : ''));
          process.stdout.write(`${s.name}\t${s.state}\t${detail}${s.nextAttempt ? `; next attempt ${s.nextAttempt}` : ''}\n`);
        }
      });
    });
}

/** A missing table as its name, a missing column as table.column. */
function partName(part: MissingHostPart): string {
  return part.column === null ? part.table : `${part.table}.${part.column}`;
}
