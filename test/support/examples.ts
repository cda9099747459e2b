// The host panels of examples/ run as a user runs them: started as a process from a folder where
// the packed package is installed, then used the way a person and a script would: log in, open a
// domain's page, save the tab's form, use the JSON API, and ask for the policy file by Host.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { freePort } from './deploy';
import { csrfFrom, formValues, notices } from './server';

export const API_KEY = 'an-api-key-of-the-example-panel';
const PASSWORDS = { admin: 'admin-password-1', owner: 'owner-password-1' };

export interface RunningExample {
  base: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts an example host (`node <file>` in `cwd`); resolves once it prints its address. */
export async function startExample(file: string, cwd: string): Promise<RunningExample> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    DATABASE_FILE: 'panel.sqlite',
    ADMIN_PASSWORD: PASSWORDS.admin,
    OWNER_PASSWORD: PASSWORDS.owner,
    MTA_STS_API_KEY: API_KEY,
  };
  const proc = spawn(process.execPath, [file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`Panel: http://localhost:${port}/`)) {
        resolve({
          base: `http://127.0.0.1:${port}`,
          output: () => output,
          stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`${file} exited (${code}): ${output}`)));
  });
}

/** The policy file as a sending server asks for it: by Host (fetch() would drop that header). */
export function policyOf(base: string, domain: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    httpRequest({ host: hostname, port, path: '/.well-known/mta-sts.txt', headers: { host: `mta-sts.${domain}` } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on('error', reject)
      .end();
  });
}

export interface ExampleSession {
  /** The domain list the admin sees, and what a request without login gets. */
  list: { status: number; text: string; anonymous: number };
  /** The domain page with the tab. */
  page: { status: number; hasForm: boolean };
  /** The save: its status and Location, and the page that Location shows. */
  save: { status: number; location: string; after: { status: number; notices: string[] } };
  /** The policy file after the save. */
  policy: { status: number; text: string };
  /** The owner of example.net on example.org's page, and on its own. */
  ownerElsewhere: number;
  ownerOwn: number;
  /** The JSON API: a save with the key, and one without. */
  apiPut: number;
  apiWithoutKey: number;
  apiPolicy: { status: number; text: string };
  /** The API's OpenAPI document, fetched without login or key. */
  openapi: { status: number; version: unknown };
}

/** Uses a running example as its admin, its domain owner and a script with the API key. */
export async function useExample(base: string): Promise<ExampleSession> {
  const admin = { user: 'admin', pass: PASSWORDS.admin };
  const list = await request(base).get('/').auth(admin.user, admin.pass);
  const anonymous = await request(base).get('/domains/example.org');
  const page = await request(base).get('/domains/example.org').auth(admin.user, admin.pass);
  const csrf = csrfFrom(page);
  const fields = { ...formValues(page.text), mode: 'testing', mx: 'mail.example.org', active: '1', _csrf: csrf.token };
  const save = await request(base).post('/mta-sts/example.org').auth(admin.user, admin.pass).set('Cookie', csrf.cookie).type('form').send(fields);
  const location = String(save.headers.location ?? '');
  const after = await request(base).get(location).auth(admin.user, admin.pass).set('Cookie', csrf.cookie);
  const policy = await policyOf(base, 'example.org');
  const ownerElsewhere = await request(base).get('/domains/example.org').auth('owner', PASSWORDS.owner);
  const ownerOwn = await request(base).get('/domains/example.net').auth('owner', PASSWORDS.owner);
  const body = { mode: 'enforce', mx: ['mail.example.org'], active: true };
  const apiPut = await request(base).put('/api/v1/mta-sts/example.net').set('x-api-key', API_KEY).send(body);
  const apiWithoutKey = await request(base).put('/api/v1/mta-sts/example.net').send(body);
  const openapi = await request(base).get('/api/v1/openapi.json');
  return {
    list: { status: list.status, text: list.text, anonymous: anonymous.status },
    page: { status: page.status, hasForm: /name="mx"/.test(page.text) },
    save: { status: save.status, location, after: { status: after.status, notices: notices(after.text) } },
    policy,
    ownerElsewhere: ownerElsewhere.status,
    ownerOwn: ownerOwn.status,
    apiPut: apiPut.status,
    apiWithoutKey: apiWithoutKey.status,
    apiPolicy: await policyOf(base, 'example.net'),
    openapi: { status: openapi.status, version: (openapi.body as { openapi?: unknown }).openapi },
  };
}
