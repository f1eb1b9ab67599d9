import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { freePorts } from './ports';
import { findRedisServer, REDIS_INSTALL_HINT, redisProblem } from './test-run/redis-for-tests';
import { TestRunError } from './test-run/test-run-error';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/** Slots of a Redis Cluster: CRC16(key) mod 16384. */
export const CLUSTER_SLOTS = 16_384;

export interface LocalRedisClusterOptions {
  /** Names the log files (`<logDir>/redis-cluster-<label>-<port>.log`). */
  label: string;
  logDir?: string;
  /**
   * How long a master may be silent before its replica takes over. The production default is 15 s;
   * tests want a failover within seconds, so 2 s (still far above a loaded machine's hiccups).
   */
  nodeTimeoutMs?: number;
}

/** One redis-server of the cluster. Its port and folder stay the same across a restart. */
export class ClusterNode {
  child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    readonly busPort: number,
    readonly dir: string,
    private readonly args: string[],
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(binary: string): void {
    const child = spawn(binary, this.args, { stdio: 'ignore', cwd: this.dir });
    child.unref();
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
  }

  /** kill -9: the node vanishes without a word, as a crashed machine does. */
  async kill(): Promise<void> {
    if (!this.running) return;
    // Held while waiting: an unref'd child's 'exit' does not keep the event loop alive.
    this.child?.ref();
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** A connection of its own to this node (not cluster-aware). */
  connect(): Redis {
    return new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
  }
}

/** A node's line of CLUSTER NODES, the fields read here. */
interface NodeLine {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  masterId: string;
  slots: Array<[number, number]>;
}

/**
 * A real Redis Cluster of 3 masters + 3 replicas on free loopback ports, for tests, benches and
 * `npm start`'s cluster mode: `redis-server --cluster-enabled yes` six times, then
 * `redis-cli --cluster create --cluster-replicas 1`. Each node has a folder of its own with an
 * append-only file, so a node restarted in place comes back with its data, as a real one does.
 * Full slot coverage is not required: when one replica set is down, the rest keep serving.
 */
export class LocalRedisCluster {
  private readonly killOnExit = (): void => {
    for (const node of this.nodes) if (node.running) node.child?.kill('SIGKILL');
  };

  private constructor(
    readonly nodes: ClusterNode[],
    private readonly root: string,
    private readonly binary: string,
  ) {
    process.once('exit', this.killOnExit);
  }

  /** `host:port,...` of every node: the REDIS_CLUSTER_NODES the apps are given. */
  get seeds(): string {
    return this.nodes.map((node) => node.address).join(',');
  }

  static async start(options: LocalRedisClusterOptions): Promise<LocalRedisCluster> {
    const binary = findRedisServer();
    if (binary === undefined) throw new TestRunError(`redis-server is not installed: ${REDIS_INSTALL_HINT}.`);
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 2_000;
    const logDir = options.logDir ?? join(process.cwd(), 'tmp', 'test-logs');
    mkdirSync(logDir, { recursive: true });
    const root = mkdtempSync(join(tmpdir(), 'live-im-redis-cluster-'));
    // Ports and bus ports both from below the ephemeral range (see freePort).
    const ports = await freePorts(12);
    const nodes = Array.from({ length: 6 }, (_, i) => {
      const port = ports[2 * i];
      const busPort = ports[2 * i + 1];
      const dir = join(root, String(port));
      mkdirSync(dir);
      const args = [
        '--port', String(port),
        '--cluster-port', String(busPort),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', String(nodeTimeoutMs),
        '--cluster-require-full-coverage', 'no',
        '--save', '',
        // A replica's first sync at once, not after the 5 s default wait for more replicas.
        '--repl-diskless-sync-delay', '0',
        '--appendonly', 'yes',
        '--dir', dir,
        '--logfile', join(logDir, `redis-cluster-${options.label}-${port}.log`),
        '--daemonize', 'no',
      ]; // prettier-ignore
      return new ClusterNode(port, busPort, dir, args);
    });
    const cluster = new LocalRedisCluster(nodes, root, binary);
    try {
      for (const node of nodes) node.start(binary);
      await Promise.all(nodes.map((node) => cluster.waitAnswers(node)));
      await run(redisCli(binary), [
        '--cluster', 'create', ...nodes.map((node) => node.address),
        '--cluster-replicas', '1', '--cluster-yes',
      ]); // prettier-ignore
      await cluster.waitHealthy();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Every slot served by a live master, each master with a live replica, every node agreeing. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    let seen = '';
    await waitFor(
      async () => {
        for (const node of this.nodes) {
          if (!node.running) return false;
          const info = await this.ask(node, (redis) => redis.cluster('INFO'));
          seen = `${node.address}: ${info.split('\r\n').slice(0, 3).join(' ')}`;
          if (!info.includes('cluster_state:ok') || !info.includes(`cluster_slots_ok:${CLUSTER_SLOTS}`))
            return false;
        }
        const lines = await this.nodeLines();
        const masters = lines.filter((line) => line.master && !line.failed && line.slots.length > 0);
        const replicas = lines.filter((line) => !line.master && !line.failed);
        seen = `${masters.length} masters with slots, ${replicas.length} replicas`;
        if (masters.length !== 3 || !masters.every((m) => replicas.some((r) => r.masterId === m.id)))
          return false;
        // A replica that never finished its first sync cannot be promoted: wait for every link.
        for (const replica of this.nodes.filter((n) => replicas.some((r) => r.port === n.port))) {
          const info = await this.ask(replica, (redis) => redis.info('replication'));
          seen = `${replica.address}: ${/master_link_status:\w+/.exec(info)?.[0] ?? 'no link'}`;
          if (!info.includes('master_link_status:up')) return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 100, what: `the Redis Cluster to be ok (last seen ${seen})` },
    );
  }

  /** The node serving `slot` as master now, as a live node sees it. */
  async masterOfSlot(slot: number): Promise<ClusterNode> {
    const line = (await this.nodeLines()).find(
      (l) => l.master && !l.failed && l.slots.some(([from, to]) => slot >= from && slot <= to),
    );
    const node = this.nodes.find((n) => n.port === line?.port);
    if (node === undefined) throw new Error(`no live master serves slot ${slot}`);
    return node;
  }

  /** The slot of a key (hash tags included), as the cluster computes it. */
  async slotOf(key: string): Promise<number> {
    const node = this.nodes.find((n) => n.running);
    if (node === undefined) throw new Error('no node of the cluster is running');
    return this.ask(node, (redis) => redis.cluster('KEYSLOT', key));
  }

  /** The replicas of a master (by port). */
  async replicasOf(master: ClusterNode): Promise<ClusterNode[]> {
    const lines = await this.nodeLines();
    const id = lines.find((l) => l.port === master.port)?.id;
    const ports = lines.filter((l) => !l.master && l.masterId === id).map((l) => l.port);
    return this.nodes.filter((n) => ports.includes(n.port));
  }

  /**
   * kill -9 the master of `slot` and wait until its replica is promoted and serves the slot.
   * Returns the killed node (restart it with `restart`) and the promoted one.
   */
  async killMasterOf(
    slot: number,
    timeoutMs = 30_000,
  ): Promise<{ killed: ClusterNode; promoted: ClusterNode }> {
    const killed = await this.masterOfSlot(slot);
    await killed.kill();
    const promoted = await waitFor(
      async () => {
        const node = await this.masterOfSlot(slot);
        return node.port !== killed.port && node.running ? node : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `a replica to take slot ${slot} over from ${killed.address}` },
    );
    return { killed, promoted };
  }

  /** Starts a stopped node again on its port and folder; it rejoins the cluster by its nodes.conf. */
  async restart(node: ClusterNode): Promise<void> {
    if (node.running) return;
    node.start(this.binary);
    await this.waitAnswers(node);
  }

  /** Stops every node (kill -9: nothing of theirs is kept) and removes their folders. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    process.removeListener('exit', this.killOnExit);
    rmSync(this.root, { recursive: true, force: true });
  }

  /** CLUSTER NODES as some live node sees it. */
  private async nodeLines(): Promise<NodeLine[]> {
    const node = this.nodes.find((n) => n.running);
    if (node === undefined) throw new Error('no node of the cluster is running');
    const text = (await this.ask(node, (redis) => redis.cluster('NODES'))) as string;
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id = '', address = '', flags = '', masterId = '', , , , , ...slots] = line.split(' ');
        return {
          id,
          port: Number(address.split('@')[0]?.split(':')[1]),
          master: flags.split(',').includes('master'),
          failed: /fail/.test(flags),
          masterId,
          slots: slots
            .filter((s) => !s.startsWith('['))
            .map((s): [number, number] => {
              const [from, to] = s.split('-').map(Number);
              return [from ?? 0, to ?? from ?? 0];
            }),
        };
      });
  }

  private async ask<T>(node: ClusterNode, question: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = node.connect();
    redis.on('error', () => undefined);
    try {
      return await question(redis);
    } finally {
      redis.disconnect();
    }
  }

  private async waitAnswers(node: ClusterNode): Promise<void> {
    await waitFor(
      async () => node.running && (await redisProblem(`redis://${node.address}`, 500)) === undefined,
      {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: `redis-server on ${node.address} (log: see tmp/test-logs)`,
      },
    );
  }
}

/** redis-cli next to redis-server (both come in the same package). */
function redisCli(redisServer: string): string {
  return join(redisServer, '..', 'redis-cli');
}
