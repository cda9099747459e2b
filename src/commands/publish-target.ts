// Where `mta-sts publish` sends its updates: --dns-update and --dns-zones from the flag, else the
// environment, else the config file; the keys from the environment only. The other commands read
// the same settings (without flags) so that `show` and `check` know which domains are published
// directly when a delegation is configured.
import { ConfigError } from '../config/errors';
import { nameServerMap, PUBLISH_SOURCES, publishTarget, verifySeconds, type PublishTarget } from '../config/publish-settings';
import { picker, readConfigFile } from '../config/setting-sources';

export interface PublishOpts {
  all?: boolean;
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
  dnsUpdate?: string;
  dnsZones?: string;
  nameServers?: string;
  verifySeconds?: string;
}

type Target = PublishTarget & { nameServers: Record<string, string>; verifySeconds: number };

/** The target `mta-sts publish` writes to; a ConfigError when none is configured. */
export function publishTargetOf(opts: PublishOpts, env: NodeJS.ProcessEnv, configFlag: string | undefined): Target {
  const found = configuredTarget(opts, env, configFlag);
  if (found === null)
    throw new ConfigError('dns-update', '(MTA_STS_DNS_UPDATE) is required: where updates go, rfc2136://<server>[:<port>] or pdns+http://<host>:<port>');
  return found;
}

/** The configured target, or null when no --dns-update is set anywhere. */
export function configuredTarget(opts: PublishOpts, env: NodeJS.ProcessEnv, configFlag: string | undefined): Target | null {
  const configFile = configFlag ?? env.MTA_STS_CONFIG ?? null;
  const pick = picker(
    { dnsUpdate: opts.dnsUpdate, dnsZones: opts.dnsZones, nameServers: opts.nameServers, verifySeconds: opts.verifySeconds },
    env,
    PUBLISH_SOURCES,
    configFile === null ? {} : readConfigFile(configFile),
    configFile,
  );
  const found = publishTarget(pick('dnsUpdate'), pick('dnsZones'), env);
  if (found === null) return null;
  return { ...found, nameServers: nameServerMap(pick('nameServers')), verifySeconds: verifySeconds(pick('verifySeconds')) };
}
