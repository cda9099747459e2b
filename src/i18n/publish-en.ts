// English texts of DNS publishing (src/publish/): the server's log lines (src/service/publisher.ts,
// src/scheduler/dns-publish.ts) and the sentences of `mta-sts publish`. Logs and the CLI say them in
// English (no setting chooses their language); ./publish-de.ts must have every key. The reasons
// a provider gives ({reason}) name the zone and never a key.
export const PUBLISH_EN = {
  'publish.log.published.wrote': 'DNS record published: {name} {type} held {held}, wrote {value}',
  'publish.log.published.removed': 'DNS record published: {name} {type} held {held}, removed it (the retired policy is past its safe-removal date)',
  'publish.log.repaired.wrote': 'DNS record repaired: {name} {type} held {held}, wrote {value}',
  'publish.log.repaired.removed': 'DNS record repaired: {name} {type} held {held}, removed it (the retired policy is past its safe-removal date)',
  'publish.log.held.nothing': 'nothing',
  'publish.log.held.unknown': 'unknown',
  'publish.log.stopped':
    'DNS repair stopped: {changing} of the {existing} records published would change (more than 30%); nothing was changed: check with `mta-sts publish --all --dry-run`, then run `mta-sts publish --all --force`',
  'publish.log.failed.one': 'publishing DNS records failed ({count} record): {reason}; the policy file keeps serving, the next repair tries again',
  'publish.log.failed.other': 'publishing DNS records failed ({count} records): {reason}; the policy file keeps serving, the next repair tries again',
  'publish.log.unread.one': '{count} DNS record could not be read (first: {name}); left as it is',
  'publish.log.unread.other': '{count} DNS records could not be read (first: {name}); left as they are',
  'publish.log.keepFailed': "keeping the DNS records' states failed; the next repair keeps them",
  'publish.log.changeFailed': 'publishing the DNS records of a change failed',
  'publish.log.repairFailed': 'the DNS drift repair failed; trying again at the next repair',
  'publish.cli.noPolicy': '{domain}: no policy saved yet, nothing to publish',
  'publish.cli.unread': '{name} {type}: what {target} holds could not be read, so it is left as it is',
  'publish.cli.unknown': 'unknown: {domains}',
  'publish.cli.undecided': '{domains}: whether {target} updates the zone could not be told now (direct or delegated); nothing was written for them',
  'publish.cli.stopped':
    'stopped: {changing} of the {existing} records already published would change (more than 30%); nothing was changed: check the plan, then run again with --force',
  'publish.cli.nothing': 'nothing to do: {held} of {total} records are published as wanted at {target}',
  'publish.cli.dryRun': 'dry run, nothing changed: would create {create}, update {update}, delete {delete} at {target}',
  'publish.cli.applied': 'create {create}, update {update}, delete {delete} at {target}: {applied} applied, {failed} failed',
  'publish.cli.lagging': '{count} applied record(s) not served by every authoritative name server within {seconds} s',
  'publish.cli.statesNotKept': "the records' states could not be kept for the overview: {reason}",
} as const;
