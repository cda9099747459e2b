import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SERVER_SOURCES, SOURCES } from '../../src/config/setting-sources';

const ROOT = [join(__dirname, '../../..'), join(__dirname, '../..')].find((dir) => existsSync(join(dir, 'package.json'))) as string;
const FILE = join(ROOT, 'deploy/mailcow/docker-compose.override.yml');

/** What mailcow's compose project defines: its database service, its network, mailcow.conf's variables used here. */
const MAILCOW_SERVICES = ['mysql-mailcow'];
const MAILCOW_NETWORK = 'mailcow-network';
const MAILCOW_CONF = ['DBNAME', 'DBUSER', 'DBPASS', 'MAILCOW_HOSTNAME', 'IPV4_NETWORK'];

interface Service {
  image?: string;
  depends_on?: string[];
  environment?: string[];
  ports?: string[];
  networks?: Record<string, unknown>;
}

describe("deploy/mailcow/docker-compose.override.yml (the server inside mailcow's compose project)", () => {
  const text = readFileSync(FILE, 'utf8');
  const doc = parse(text) as { services: Record<string, Service> };

  it('is YAML adding one service, on mailcow-network, after mysql-mailcow, with only mailcow.conf variables', () => {
    assert.deepEqual(Object.keys(doc), ['services'], 'adds a service, no network or volume of its own');
    const names = Object.keys(doc.services);
    assert.equal(names.length, 1);
    const service = doc.services[names[0]];
    assert.deepEqual(Object.keys(service.networks ?? {}), [MAILCOW_NETWORK]);
    for (const dependency of service.depends_on ?? []) assert.ok(MAILCOW_SERVICES.includes(dependency), `${dependency} is a mailcow service`);
    const variables = [...text.matchAll(/\$\{([A-Z_]+)(?::-[^}]*)?\}/g)].map((m) => m[1]);
    assert.ok(variables.length > 0);
    for (const variable of variables) assert.ok(MAILCOW_CONF.includes(variable), `\${${variable}} is a mailcow.conf variable`);
  });

  it("points the server at mailcow's database with the mailcow preset, in settings the server knows", () => {
    const service = Object.values(doc.services)[0];
    const env = Object.fromEntries((service.environment ?? []).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    assert.equal(env.DATABASE_URL, 'mysql://${DBUSER}:${DBPASS}@mysql-mailcow:3306/${DBNAME}');
    assert.equal(env.MTA_STS_PRESET, 'mailcow');
    const known = new Set<string>([...Object.values(SOURCES), ...Object.values(SERVER_SOURCES)]);
    for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is a setting of mta-sts serve`);
  });

  it('publishes the admin pages on the loopback address only', () => {
    const ports = Object.values(doc.services)[0].ports ?? [];
    assert.ok(ports.length > 0);
    for (const port of ports) assert.match(port, /^127\.0\.0\.1:\d+:3000$/);
  });
});
