// Helpers for building deploy/Containerfile for real with buildah (chroot isolation, vfs storage:
// no container engine or daemon needed), from Debian's packages only: no registry is reachable
// here, so the base image the Containerfile names is made on this machine by debootstrap.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './deploy';

/** The base image deploy/Containerfile starts from, made locally under the same name. */
export const BASE_IMAGE = 'docker.io/library/node:20-bookworm-slim';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

/** buildah with its own storage under `dir` (nothing of the machine's container storage is touched). */
export class Buildah {
  readonly env: NodeJS.ProcessEnv;
  constructor(private readonly dir: string) {
    this.env = { ...process.env, BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: 'vfs' };
  }

  private get global(): string[] {
    return ['--root', join(this.dir, 'storage'), '--runroot', join(this.dir, 'runroot'), '--storage-driver', 'vfs'];
  }

  /** Runs one buildah command to its end; its stdout, trimmed. */
  async run(args: string[], cwd = this.dir): Promise<string> {
    return (await run('buildah', [...this.global, ...args], { cwd, env: this.env })).trim();
  }

  /** The arguments that start `buildah run` in a container (for a process the caller spawns). */
  runArgs(container: string, env: Record<string, string>, volumes: Record<string, string>, command: string[]): string[] {
    const envArgs = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
    const volumeArgs = Object.entries(volumes).flatMap(([host, inside]) => ['--volume', `${host}:${inside}`]);
    return [...this.global, 'run', ...envArgs, ...volumeArgs, container, '--', ...command];
  }

  /**
   * The official node image's shape from Debian bookworm (debootstrap, minbase): this machine's
   * Node.js and npm in /usr/local, the unprivileged `node` user (uid 1000), and this machine's CA
   * bundle so npm reaches the registry through the machine's TLS-inspecting proxy.
   */
  async makeBaseImage(): Promise<void> {
    const rootfs = join(this.dir, 'rootfs');
    await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, DEBIAN_MIRROR], { cwd: this.dir });
    mkdirSync(join(rootfs, 'usr/local/lib/node_modules'), { recursive: true });
    cpSync(process.execPath, join(rootfs, 'usr/local/bin/node'));
    await run('cp', ['-a', '/usr/lib/node_modules/npm', join(rootfs, 'usr/local/lib/node_modules/')], { cwd: this.dir });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));
    cpSync('/etc/ssl/certs/ca-certificates.crt', join(rootfs, 'etc/ssl/certs/ca-certificates.crt'));
    await run('chroot', [rootfs, 'sh', '-c', 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node'], { cwd: this.dir });
    // Copied into a scratch container's mount with owners and device files (COPY would make every
    // file root's, and node's fs.cp copies neither).
    const container = await this.run(['from', 'scratch']);
    await run('cp', ['-a', `${rootfs}/.`, await this.run(['mount', container])], { cwd: this.dir });
    await this.run(['umount', container]);
    const env = [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      'npm_config_cafile=/etc/ssl/certs/ca-certificates.crt',
    ];
    await this.run(['config', ...env.flatMap((value) => ['--env', value]), '--cmd', 'node', container]);
    await this.run(['commit', '--quiet', container, BASE_IMAGE]);
    await this.run(['rm', container]);
  }

  /** `buildah build` of the Containerfile as a user runs `podman build`, keeping HEALTHCHECK (docker format). */
  async build(context: string, tag: string, buildArgs: Record<string, string>): Promise<void> {
    const args = Object.entries(buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]);
    await this.run(
      ['build', '--quiet', '--format', 'docker', '--pull=never', '--layers=false', ...args, '-f', 'deploy/Containerfile', '-t', tag, '.'],
      context,
    );
  }
}

/** A process started with `buildah run`, its output kept; resolves once `ready` matches it. */
export function spawnUntil(buildah: Buildah, args: string[], ready: RegExp): Promise<{ output(): string; exited: Promise<number | null> }> {
  const proc = spawn('buildah', args, { env: buildah.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve({ output: () => output, exited });
    };
    proc.stdout.on('data', seen);
    proc.stderr.on('data', seen);
    proc.once('error', reject);
    void exited.then((code) => reject(new Error(`buildah run exited (${code}) before it was ready: ${output}`)));
  });
}
