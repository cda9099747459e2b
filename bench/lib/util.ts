// Small helpers shared by the bench orchestrator and its child processes.
import { ChildProcess, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A message a child sends over IPC. */
export interface Message {
  type: string;
  [key: string]: unknown;
}

/** A child process started by the bench: its IPC channel, and a way to wait for a message. */
export class Child {
  private readonly waiters: Array<{ type: string; resolve: (m: Message) => void }> = [];
  private readonly listeners: Array<(m: Message) => void> = [];
  readonly stderr: string[] = [];
  private exited = false;

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.on('message', (raw) => {
      const message = raw as Message;
      for (const listener of this.listeners) listener(message);
      if (message.type === 'error') {
        // A child that failed: whoever waits on it learns why.
        for (const waiter of this.waiters.splice(0)) waiter.resolve(message);
        return;
      }
      const i = this.waiters.findIndex((w) => w.type === message.type);
      if (i !== -1) this.waiters.splice(i, 1)[0].resolve(message);
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      this.stderr.push(chunk.toString());
      if (this.stderr.length > 50) this.stderr.shift();
    });
    proc.on('exit', (code, signal) => {
      this.exited = true;
      const error: Message = { type: 'exit', code, signal };
      for (const waiter of this.waiters.splice(0))
        waiter.resolve(
          waiter.type === 'exit'
            ? error
            : {
                type: 'error',
                message: `${this.name} exited (${code ?? signal}) while the bench waited for "${waiter.type}": ${this.stderr.join('').slice(-2000)}`,
              },
        );
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  on(listener: (m: Message) => void): void {
    this.listeners.push(listener);
  }

  send(message: Message): void {
    if (!this.exited) this.proc.send(message);
  }

  /** Resolves with the next message of this type; rejects after `timeoutMs` or when the child dies. */
  async next(type: string, timeoutMs = 120_000): Promise<Message> {
    let timer: NodeJS.Timeout | undefined;
    const message = await new Promise<Message>((resolve) => {
      if (this.exited) return resolve({ type: 'error', message: `${this.name} has exited` });
      this.waiters.push({ type, resolve });
      timer = setTimeout(() => resolve({ type: 'error', message: `${this.name}: no "${type}" within ${timeoutMs} ms` }), timeoutMs);
    }).finally(() => clearTimeout(timer));
    if (message.type === 'error' && type !== 'error') throw new Error(String(message.message));
    return message;
  }

  /** Sends a request and waits for the answer of the given type. */
  async ask(message: Message, answer: string, timeoutMs?: number): Promise<Message> {
    const reply = this.next(answer, timeoutMs);
    this.send(message);
    return reply;
  }

  /** Asks the child to stop, then kills it (this process's own child, by its id) if it lingers. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.exited) return;
    const exited = this.next('exit', timeoutMs).catch(() => undefined);
    this.send({ type: 'stop' });
    await exited;
    if (!this.exited) {
      this.proc.kill('SIGKILL');
      await this.next('exit', 2000).catch(() => undefined);
    }
  }
}

const running = new Set<Child>();

/** Forks a compiled bench script with IPC; the config travels in BENCH_CONFIG. */
export function start(name: string, script: string, config: unknown, execArgv: string[] = []): Child {
  const proc = fork(script, [], {
    env: { ...process.env, BENCH_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    execArgv,
  });
  const child = new Child(name, proc);
  running.add(child);
  proc.on('exit', () => running.delete(child));
  return child;
}

/** Kills every child still running (only the ones this process started). */
export function killAll(): void {
  for (const child of running) child.proc.kill('SIGKILL');
}

/** In a child: the config the parent passed. */
export function childConfig<T>(): T {
  return JSON.parse(process.env.BENCH_CONFIG ?? '{}') as T;
}

/** In a child: send a message to the parent. */
export function tell(message: Message): void {
  process.send?.(message);
}

/**
 * In a child: calls `onStop` when the parent says stop or goes away, then exits. Errors during
 * start are reported to the parent and end the child.
 */
export function serveUntilStopped(onStop: () => Promise<void> | void, handlers: Record<string, (m: Message) => void | Promise<void>> = {}): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    Promise.resolve()
      .then(onStop)
      .catch(() => undefined)
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('message', (raw) => {
    const message = raw as Message;
    if (message.type === 'stop') return stop();
    const handler = handlers[message.type];
    if (handler) {
      Promise.resolve()
        .then(() => handler(message))
        .catch((err: unknown) => tell({ type: 'error', message: String(err instanceof Error ? err.stack : err) }));
    }
  });
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
}

export function failChild(err: unknown): never {
  tell({ type: 'error', message: String(err instanceof Error ? err.stack : err) });
  process.exit(1);
}

/** CPU time this process has used so far (user + system), microseconds. */
export function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
