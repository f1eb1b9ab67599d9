import { readFileSync } from 'node:fs';

/**
 * File descriptors a gateway keeps for itself beyond its client connections: Redis, the ZeroMQ
 * sockets to brokers, node manager and broadcast nodes (and their internal pipes), HTTP API and
 * probe requests, log output, and refused connections on their way out. At least this many, or a
 * tenth of the limit when that is more, since long-polling clients may hold two sockets each.
 */
export const RESERVED_FILES_MIN = 256;
export const RESERVED_FILES_SHARE = 0.1;
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

  constructor(
    readonly maxConnections: number,
    readonly maxPerAddress: number,
  ) {}

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
    return undefined;
  }

  /** A connection counted by `tryOpen` is gone. Call once per successful `tryOpen`. */
  release(address: string): void {
    const fromAddress = this.byAddress.get(address);
    if (fromAddress === undefined) return;
    if (fromAddress <= 1) this.byAddress.delete(address);
    else this.byAddress.set(address, fromAddress - 1);
    this.total -= 1;
  }
}
