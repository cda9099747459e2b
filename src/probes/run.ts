// A probe's run: the sockets it opened, the step it is at, its socket slot and its deadline.
// Whatever happens, a probe answers within its deadline and leaves nothing open behind it.
import * as net from 'node:net';
import type { SocketLimiter } from '../limiter';

/** Thrown into a probe's work that goes on after the probe has already answered. */
class ProbeEnded extends Error {
  constructor() {
    super('the probe has already ended');
  }
}

/** Tracks open sockets and the current step so a deadline can close them and say where it hung. */
export class ProbeRun {
  stage = 'connecting';
  private readonly sockets = new Set<net.Socket>();
  private release: (() => void) | null = null;
  /** Set once the probe has answered: nothing may be opened or held after that. */
  private finished = false;
  /** Set by withDeadline: stops and restarts the deadline's clock. */
  clock: { pause(): void; resume(): void } = { pause() {}, resume() {} };

  /**
   * Takes one socket slot of the shared limiter, held until the probe ends. The wait does not
   * count against the probe's deadline: a busy panel makes a check slower, not wrong.
   */
  async slot(limiter: SocketLimiter | undefined): Promise<void> {
    if (this.finished) throw new ProbeEnded();
    if (limiter === undefined || this.release !== null) return;
    const stage = this.stage;
    this.stage = 'waiting for a free socket slot';
    this.clock.pause();
    try {
      this.release = await limiter.acquire();
    } finally {
      this.clock.resume();
      this.stage = stage;
    }
    // The deadline cannot pass during the wait (its clock is paused), but stay safe: a probe
    // that already answered must not keep a slot.
    if (this.finished) {
      this.release();
      this.release = null;
      throw new ProbeEnded();
    }
  }

  track<T extends net.Socket>(socket: T): T {
    // The probe's work goes on after its deadline has answered (a slow lookup, say); a socket it
    // opens then is closed at once instead of living on unseen.
    if (this.finished) {
      socket.destroy();
      return socket;
    }
    this.sockets.add(socket);
    // Its own 'close' event is the only sure sign: `destroyed` and `closed` turn true earlier.
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }

  closeAll(): void {
    this.finished = true;
    // Newest first: a TLS socket wraps the TCP socket tracked before it, and destroying the TCP
    // socket under a live TLS socket crashes Node 20 (read bio not set, or a segfault).
    const open = [...this.sockets].reverse();
    for (const socket of open) socket.destroy();
    const release = this.release;
    this.release = null;
    if (release === null) return;
    // The slot comes free once the sockets are really closed (their descriptors released), so
    // the cap counts what the process holds; a socket that never says so frees it after 1 s.
    if (open.length === 0) return release();
    let left = open.length;
    setTimeout(release, 1000).unref();
    for (const socket of open)
      socket.once('close', () => {
        if (--left === 0) release();
      });
  }
}

/**
 * Runs `work` with a hard deadline. Never rejects: an exception becomes `onError`'s result and
 * the deadline `onTimeout`'s. Sockets are destroyed either way, so nothing lingers.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  work: (run: ProbeRun) => Promise<T>,
  onTimeout: (stage: string) => T,
  onError: (err: unknown) => T,
): Promise<T> {
  const run = new ProbeRun();
  let timer: NodeJS.Timeout | undefined;
  let left = timeoutMs;
  let since = Date.now();
  let fire: (value: T) => void = () => {};
  const deadline = new Promise<T>((resolve) => {
    fire = resolve;
  });
  const arm = () => {
    since = Date.now();
    timer = setTimeout(
      () => {
        try {
          fire(onTimeout(run.stage));
        } catch (err) {
          fire(onError(err));
        }
      },
      Math.max(left, 0),
    );
  };
  run.clock = {
    pause: () => {
      clearTimeout(timer);
      left -= Date.now() - since;
    },
    resume: arm,
  };
  arm();
  try {
    return await Promise.race([work(run).catch(onError), deadline]);
  } finally {
    clearTimeout(timer);
    run.closeAll();
  }
}

/**
 * A TCP connection to exactly `address`, the IP that passed the address filter. Node does not
 * resolve an IP literal, and the pinned `lookup` makes sure no path ever resolves a name here.
 */
export function connectTo(
  run: ProbeRun,
  address: string,
  port: number,
): Promise<{ ok: true; socket: net.Socket } | { ok: false; error: NodeJS.ErrnoException }> {
  const family = net.isIPv6(address) ? 6 : 4;
  const pinned = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as net.LookupFunction;
  return new Promise((resolve) => {
    const socket = run.track(net.connect({ host: address, port, family, lookup: pinned }));
    socket.once('connect', () => resolve({ ok: true, socket }));
    socket.once('error', (error) => resolve({ ok: false, error }));
  });
}
