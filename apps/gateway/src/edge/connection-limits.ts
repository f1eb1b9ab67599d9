import { readFileSync } from 'node:fs';

/**
 * File descriptors a gateway keeps for itself beyond its client connections: Redis, the ZeroMQ
 * sockets to brokers, node manager and broadcast nodes (and their internal pipes), HTTP API and
 * probe requests, log output, and refused connections on their way out. At least this many, or a
 * tenth of the limit when that is more, since long-polling clients may hold two sockets each.
 */
export const RESERVED_FILES_MIN = 256;
export const RESERVED_FILES_SHARE = 0.1;
/**
 * Of that reserve, what the gateway's own handles take at most (Redis, ZeroMQ sockets and their
 * internal pipes, epoll, stdio, log files). The rest is headroom for connections on their way to
 * an OVERLOADED refusal, so a burst of them past the limit still finds a descriptor to be refused on.
 */
export const OWN_FILES = 128;
/** Where the open-files limit cannot be read (not Linux, or unlimited). */
export const FALLBACK_CONNECTION_LIMIT = 10_000;

/** The soft "Max open files" limit from the text of /proc/<pid>/limits; undefined when absent or unlimited. */
export function softOpenFilesLimit(limitsText: string): number | undefined {
  const line = limitsText.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined || !/^\d+$/.test(soft)) return undefined;
  return Number(soft);
}

/** The process's soft RLIMIT_NOFILE, read from /proc/self/limits; undefined where there is none. */
export function readOpenFilesLimit(path = '/proc/self/limits'): number | undefined {
  try {
    return softOpenFilesLimit(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface ConnectionLimit {
  max: number;
  /** Where `max` comes from, for the start-up log. */
  source: 'MAX_CONNECTIONS' | 'open-files limit' | 'fallback';
}

/** MAX_CONNECTIONS when set (non-zero); else the open-files limit less the gateway's own reserve. */
export function connectionLimit(configured: number, openFiles: number | undefined): ConnectionLimit {
  if (configured > 0) return { max: configured, source: 'MAX_CONNECTIONS' };
  if (openFiles === undefined) return { max: FALLBACK_CONNECTION_LIMIT, source: 'fallback' };
  const reserved = Math.max(RESERVED_FILES_MIN, Math.ceil(openFiles * RESERVED_FILES_SHARE));
  return { max: Math.max(1, openFiles - reserved), source: 'open-files limit' };
}

/**
 * TCP connections the HTTP server holds at most (`server.maxConnections`), whatever MAX_CONNECTIONS
 * says: the open-files limit less the gateway's own handles. Past it Node closes a new connection
 * as soon as it is accepted (counted), rather than the process running out of descriptors, where
 * libuv would reset connections and the gateway's own reconnects to Redis or a broker would fail.
 * Undefined where the open-files limit is unknown.
 */
export function transportConnectionCap(openFiles: number | undefined): number | undefined {
  return openFiles === undefined ? undefined : Math.max(1, openFiles - OWN_FILES);
}

/**
 * A full gateway says it is ready for new connections again once its open connections are down to
 * this share of the limit (at least one below it): far enough under the limit that a load balancer
 * does not flip it between ready and not ready with every connection that comes and goes.
 */
export const READY_AGAIN_SHARE = 0.95;

/** Why a connection was not let in. */
export type OpenRefusal = 'address_connections' | 'gateway_full';

/**
 * Open connections, in all and per client address, against their caps. A connection is counted
 * from the moment it is let in (before its token is verified, so a burst of handshakes cannot all
 * slip under the caps) until it is released.
 */
export class ConnectionLedger {
  private readonly byAddress = new Map<string, number>();
  private total = 0;
  private full = false;
  private fullTimes = 0;
  /** Open connections at or under which a full gateway is ready again. */
  readonly readyAgainAt: number;

  constructor(
    readonly maxConnections: number,
    readonly maxPerAddress: number,
  ) {
    this.readyAgainAt = Math.min(maxConnections - 1, Math.floor(maxConnections * READY_AGAIN_SHARE));
  }

  /**
   * False from the moment the limit is reached until the open connections are back down to
   * `readyAgainAt`: the gateway's readiness for new connections (/health/ready).
   */
  get accepting(): boolean {
    return !this.full;
  }

  /** How many times the gateway became full since start. */
  get timesFull(): number {
    return this.fullTimes;
  }

  get open(): number {
    return this.total;
  }

  openFrom(address: string): number {
    return this.byAddress.get(address) ?? 0;
  }

  /** Counts one more connection of `address`, or says which cap it would break. */
  tryOpen(address: string): OpenRefusal | undefined {
    if (this.total >= this.maxConnections) return 'gateway_full';
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (fromAddress >= this.maxPerAddress) return 'address_connections';
    this.byAddress.set(address, fromAddress + 1);
    this.total += 1;
    if (this.total >= this.maxConnections && !this.full) {
      this.full = true;
      this.fullTimes += 1;
    }
    return undefined;
  }

  /** A connection counted by `tryOpen` is gone. Call once per successful `tryOpen`. */
  release(address: string): void {
    const fromAddress = this.byAddress.get(address);
    if (fromAddress === undefined) return;
    if (fromAddress <= 1) this.byAddress.delete(address);
    else this.byAddress.set(address, fromAddress - 1);
    this.total -= 1;
    if (this.full && this.total <= this.readyAgainAt) this.full = false;
  }
}
