// The `mta-sts` command: one program, its global settings, and each command registered from the
// file of its concern. Commands are thin adapters over MtaStsService.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { PRESET_NAMES } from '../config/presets';
import { registerAdminCommands } from './admin';
import { registerCheckCommand } from './check';
import { registerDatabaseCommands } from './database';
import { registerExportCommand } from './export';
import { registerImportCommands } from './imports';
import { registerOverviewCommands } from './overview';
import { EXIT } from './output';
import { registerPolicyCommands, type WithRuntime } from './policy';
import { registerPublishCommand } from './publish';
import { registerReportCommands } from './reports';
import { openRuntime } from './runtime';
import { registerServeCommand } from './serve';

const EXIT_HELP = `
Exit codes: ${EXIT.ok} ok; ${EXIT.problems} problems found (a DNS Check error, a policy that failed to import, pending migrations, a mail that is not a TLS report);
${EXIT.usage} usage, configuration or connection error.
Settings: flags, else the environment (DATABASE_URL, MTA_STS_PRESET, MAIL_HOSTNAME, DNS_SERVERS, MTA_STS_DOMAIN_TABLE ...),
else a JSON file (--config or MTA_STS_CONFIG), else the defaults (the standalone server's SQLite file data/panel.sqlite).`;

/** The package's version, from its package.json (three levels up from dist/src/commands). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

export function createProgram(): Command {
  const program = new Command('mta-sts')
    .description('MTA-STS (RFC 8461) for a mail panel: policies, the policy file, DNS Checks')
    .version(packageVersion())
    .option('--config <file>', 'JSON file of settings (keys as the long flags, camelCase)')
    .option('--database <url>', 'sqlite:<file>, mysql://user:pass@host/db, postgres://user@host/db')
    .addOption(new Option('--preset <panel>', 'where the panel keeps its domains').choices(PRESET_NAMES))
    .option('--mail-hostname <name>', 'what mta-sts.<domain> must point to')
    .option('--dns-servers <list>', 'resolvers for the DNS Check, ip or ip:port, comma-separated')
    .option('--domain-table <name>', 'the domain table (overrides the preset)')
    .option('--domain-column <name>', 'its domain name column')
    .option('--active-column <name>', 'its "domain active" column, or none')
    .option('--alias-table <name>', 'the alias domain table, or none')
    .option('--alias-column <name>', 'its alias domain column')
    .option('--alias-target-column <name>', 'its target domain column')
    .option('--alias-active-column <name>', 'its active column, or none')
    .option('--delegation-zone <zone>', "CNAME delegation: the panel's zone holding each domain's id at <domain>._mta-sts.<zone>")
    .option('--delegation-policy-host <host>', 'CNAME delegation: the host mta-sts.<domain> points to, serving the policies')
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const withRuntime: WithRuntime = async (work, needs = {}) => {
    const runtime = await openRuntime(program.opts(), process.env, needs);
    try {
      return await work(runtime);
    } finally {
      await runtime.close();
    }
  };
  registerPolicyCommands(program, withRuntime);
  registerCheckCommand(program, withRuntime);
  registerImportCommands(program, withRuntime);
  registerDatabaseCommands(program, withRuntime);
  registerServeCommand(program);
  registerAdminCommands(program);
  registerReportCommands(program, withRuntime);
  registerOverviewCommands(program, withRuntime);
  registerPublishCommand(program, withRuntime);
  registerExportCommand(program, withRuntime);
  for (const command of program.commands) command.addHelpText('after', EXIT_HELP).exitOverride();
  return program;
}
