import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import Redis from 'ioredis';

/**
 * Redis commands sent by given processes, counted with MONITOR: the bench's Redis is shared with
 * other work, so a global figure (INFO commandstats) would count that too; MONITOR names each
 * command's client address, and the client ports of each process are read from /proc. Commands a
 * script runs inside Redis (source `lua`) are not counted: the script call is one operation.
 * MONITOR slows Redis down a little; only the command counts are read while it runs.
 */

/** Local ports of `pid`'s TCP connections to `remotePort` (from /proc/net/tcp{,6} and /proc/<pid>/fd). */
export function clientPortsOf(pid: number, remotePort: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    } catch {
      // Closed while we looked.
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, remote, inode] = [fields[1], fields[2], fields[9]];
      if (!local || !remote || !inode || !inodes.has(inode)) continue;
      if (Number.parseInt(remote.slice(remote.lastIndexOf(':') + 1), 16) !== remotePort) continue;
      ports.push(Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}

export class RedisCommandCounter {
  private readonly appOfPort = new Map<number, string>();
  private readonly counts: Record<string, number> = {};
  private monitor: Redis | undefined;

  /** `apps`: pids by app name (several pids may share a name: their commands are summed). */
  constructor(
    private readonly redisUrl: string,
    private readonly apps: Record<string, number[]>,
  ) {}

  async start(): Promise<void> {
    const port = Number(new URL(this.redisUrl).port || 6379);
    for (const [app, pids] of Object.entries(this.apps)) {
      this.counts[app] = 0;
      for (const pid of pids)
        for (const clientPort of clientPortsOf(pid, port)) this.appOfPort.set(clientPort, app);
    }
    // The MONITOR connection made here rather than by client.monitor(), so that its error handler
    // is on before the first line arrives: lines read as replies to no command (ioredis's "command
    // queue state error", on a busy Redis as the mode starts or the connection closes) are harmless.
    this.monitor = new Redis(this.redisUrl, { monitor: true, lazyConnect: true, maxRetriesPerRequest: 1 });
    this.monitor.on('error', () => undefined);
    const monitoring = new Promise((resolve) => this.monitor?.once('monitoring', resolve));
    await this.monitor.connect();
    await monitoring;
    this.monitor.on('monitor', (_time: string, _args: string[], source: string) => {
      const app = this.appOfPort.get(Number(source.slice(source.lastIndexOf(':') + 1)));
      if (app !== undefined) this.counts[app] = (this.counts[app] ?? 0) + 1;
    });
  }

  /** Commands per app since start(), counting on. */
  snapshot(): Record<string, number> {
    return { ...this.counts };
  }

  /** Stops counting; commands per app since start(). */
  async stop(): Promise<Record<string, number>> {
    this.monitor?.removeAllListeners('monitor');
    this.monitor?.disconnect();
    return { ...this.counts };
  }
}
