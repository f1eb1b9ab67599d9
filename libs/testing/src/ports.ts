import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Whether nothing listens on 127.0.0.1:port right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The lowest port the OS hands out for outgoing connections and `:0` binds (Linux). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A TCP port free on 127.0.0.1 a moment ago, below the OS's ephemeral range. Not `:0`: a port from
 * that range can be taken, while nothing listens on it, by the kernel for an outgoing connection,
 * and on loopback a client that keeps reconnecting to a closed endpoint may get that very port as
 * its own and reach itself (a TCP self-connect), holding the port against the restarted server.
 */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/**
 * The one port of the range that fetch (undici, after the Fetch standard's "bad port" list) refuses
 * to connect to: a spec calling an app's HTTP API there fails with "fetch failed: bad port".
 */
const FETCH_BLOCKED = new Set([10080]);

/** `count` distinct ports as freePort gives them. */
export async function freePorts(count: number): Promise<number[]> {
  const low = 10_000;
  const high = ephemeralLow();
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries += 1) {
    if (tries > 1000) throw new Error(`no ${count} free ports between ${low} and ${high}`);
    const port = low + Math.floor(Math.random() * (high - low));
    if (!ports.has(port) && !FETCH_BLOCKED.has(port) && (await isFree(port))) ports.add(port);
  }
  return [...ports];
}

/**
 * Starts something that binds endpoints a just-closed socket of this process held: libzmq releases
 * a closed socket's listener in its I/O thread, after close() has returned, and a socket with
 * linger may keep it a while longer. `start` is retried while it fails with "address in use", for
 * at most `timeoutMs`; any other failure is thrown at once.
 */
export async function startWhenAddressFree<T>(start: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await start();
    } catch (error) {
      if (!/address already in use/i.test(String(error)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
