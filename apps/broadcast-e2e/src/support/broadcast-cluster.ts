import {
  RoomPublisher,
  RoomSubscriber,
  type RoomPublisherOptions,
  type RoomSubscriberOptions,
} from '@live-im/broadcast';
import type { NodeLoad, NodeState } from '@live-im/contracts';
import {
  AppProcess,
  ProcessGroup,
  freePorts,
  RecordingLogger,
  testBusSecurity,
  waitFor,
} from '@live-im/testing';

/** Short heartbeats, so a dead member is noticed within 3 × 250 ms. */
export const FAST_HEARTBEAT_MS = 250;

/** What GET /cluster serves (the fields the tests read). */
export interface ClusterView {
  manager: { id: string; rebuilding: boolean; heartbeatMs: number; deadAfterMs: number };
  version: number;
  nodes: Array<{
    id: string;
    kind: 'broadcast' | 'relay';
    region: string;
    state: NodeState;
    pull: string | null;
    pub: string;
    lastSeenMsAgo: number;
    load: NodeLoad | null;
    connected?: string[];
  }>;
  members: Array<{ id: string; kind: string; state: NodeState; connected?: string[] }>;
  counters: { deaths: number; malformed: Record<string, number> };
}

/** A process of the cluster with fixed ports, so it can be killed and started again on the same ones. */
abstract class ClusterProcess {
  process: AppProcess | undefined;
  starts = 0;

  constructor(
    readonly name: string,
    readonly httpPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /**
   * Every sample of a Prometheus metric in /metrics, summed over labels matching `labels`. A
   * counter the app declares but has not counted yet may have no sample: that reads as 0.
   */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    let sum = 0;
    let found = false;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
      const labelText = line[name.length] === '{' ? line.slice(name.length + 1, line.indexOf('}')) : '';
      if (!Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) continue;
      found = true;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    if (!found && !text.includes(`# TYPE ${name} `))
      throw new Error(`${name} ${JSON.stringify(labels)} is not in ${this.name}'s /metrics`);
    return sum;
  }

  async ready(): Promise<boolean> {
    const res = await fetch(`${this.url}/health/ready`).catch(() => undefined);
    return res?.status === 200;
  }
}

export class ManagerProcess extends ClusterProcess {
  constructor(
    name: string,
    readonly routerPort: number,
    readonly pubPort: number,
    httpPort: number,
    readonly env: Record<string, string>,
  ) {
    super(name, httpPort);
  }

  get router(): string {
    return `tcp://127.0.0.1:${this.routerPort}`;
  }

  get pub(): string {
    return `tcp://127.0.0.1:${this.pubPort}`;
  }
}

export class NodeProcess extends ClusterProcess {
  constructor(
    readonly id: string,
    readonly kind: 'broadcast' | 'relay',
    readonly region: string,
    readonly pullPort: number,
    readonly pubPort: number,
    httpPort: number,
    readonly env: Record<string, string>,
  ) {
    super(id, httpPort);
  }

  get pull(): string {
    return `tcp://127.0.0.1:${this.pullPort}`;
  }

  get pub(): string {
    return `tcp://127.0.0.1:${this.pubPort}`;
  }
}

export interface ClusterOptions {
  /** HEARTBEAT_MS of the manager, the nodes and the in-process members. */
  heartbeatMs?: number;
  /** Extra env of every broadcast node and relay (NORMAL_CAP_PER_SEC, ...). */
  nodeEnv?: Record<string, string>;
  managerEnv?: Record<string, string>;
}

export interface NodeOptions {
  kind?: 'broadcast' | 'relay';
  region?: string;
  env?: Record<string, string>;
}

/**
 * The broadcast cluster under test as real processes: a node manager and broadcast nodes (and
 * relays) spawned from dist/ on free loopback ports, plus the in-process publishers and
 * subscribers a test drives them with. `close()` tears all of it down whatever state it is in.
 */
export interface WiredCluster {
  nodes: NodeProcess[];
  publisher: RoomPublisher;
  subscriber: RoomSubscriber;
}

export class BroadcastCluster {
  readonly heartbeatMs: number;
  readonly logger = new RecordingLogger();
  readonly nodes: NodeProcess[] = [];
  manager: ManagerProcess | undefined;
  private readonly publishers: RoomPublisher[] = [];
  private readonly subscribers: RoomSubscriber[] = [];
  private readonly processes = new ProcessGroup();
  private members = 0;

  constructor(
    readonly label: string,
    private readonly options: ClusterOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? FAST_HEARTBEAT_MS;
  }

  // ---- node manager ---------------------------------------------------------------------------

  async startManager(): Promise<ManagerProcess> {
    const [router, pub, http] = (await freePorts(3)) as [number, number, number];
    this.manager = new ManagerProcess(`${this.label}-nm`, router, pub, http, {
      HEARTBEAT_MS: String(this.heartbeatMs),
      ...this.options.managerEnv,
    });
    await this.launchManager();
    return this.manager;
  }

  /** Starts the (killed) manager again on the same ports. */
  async launchManager(): Promise<AppProcess> {
    const manager = this.requireManager();
    if (manager.running) throw new Error('the node manager is already running');
    manager.starts += 1;
    manager.process = await this.spawn(
      'node-manager',
      manager.httpPort,
      `${manager.name}-${manager.starts}`,
      {
        NM_ROUTER_BIND: manager.router,
        NM_PUB_BIND: manager.pub,
        INSTANCE_ID: manager.name,
        ...manager.env,
      },
    );
    return manager.process;
  }

  async cluster(): Promise<ClusterView> {
    const res = await fetch(`${this.requireManager().url}/cluster`);
    if (res.status !== 200) throw new Error(`GET /cluster answered ${res.status}`);
    return (await res.json()) as ClusterView;
  }

  /** Waits until /cluster lists exactly these nodes, each in `state`. */
  async waitForStates(ids: string[], state: NodeState = 'active', timeoutMs = 15_000): Promise<ClusterView> {
    const want = [...ids].sort().join(',');
    let seen = '';
    return waitFor(
      async () => {
        const view = await this.cluster();
        seen = view.nodes.map((n) => `${n.id}:${n.state}`).join(',');
        const ok =
          view.nodes
            .map((n) => n.id)
            .sort()
            .join(',') === want && view.nodes.every((n) => n.state === state);
        return ok ? view : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `/cluster to list [${want}] ${state} (last seen [${seen}])` },
    );
  }

  // ---- nodes ----------------------------------------------------------------------------------

  async startNode(options: NodeOptions = {}): Promise<NodeProcess> {
    const [pull, pub, http] = (await freePorts(3)) as [number, number, number];
    const kind = options.kind ?? 'broadcast';
    const id = `${this.label}-${kind === 'relay' ? 'relay' : 'bn'}${this.nodes.length + 1}`;
    const node = new NodeProcess(id, kind, options.region ?? 'home', pull, pub, http, {
      ...this.options.nodeEnv,
      ...options.env,
    });
    this.nodes.push(node);
    const manager = this.requireManager();
    node.starts += 1;
    node.process = await this.spawn('broadcast-node', node.httpPort, `${node.id}-${node.starts}`, {
      NODE_ID: node.id,
      INSTANCE_ID: node.id,
      NODE_KIND: kind,
      REGION: node.region,
      BCAST_PULL_BIND: node.pull,
      BCAST_PUB_BIND: node.pub,
      NM_ROUTER: manager.router,
      NM_PUB: manager.pub,
      HEARTBEAT_MS: String(this.heartbeatMs),
      ...node.env,
    });
    return node;
  }

  /** kill -9 */
  async kill(proc: ClusterProcess): Promise<void> {
    await proc.process?.kill();
  }

  /** Waits until the node's XPUB counts `count` room subscriptions (its /metrics gauge). */
  async waitForSubscriptions(node: NodeProcess, count: number, timeoutMs = 10_000): Promise<void> {
    let seen = -1;
    await waitFor(
      async () => {
        seen = await node.metric('broadcast_node_subscriptions');
        return seen === count;
      },
      { timeoutMs, intervalMs: 50, what: `${node.id} to count ${count} subscriptions (last seen ${seen})` },
    );
  }

  // ---- in-process members ---------------------------------------------------------------------

  publisher(options: Partial<RoomPublisherOptions> = {}): RoomPublisher {
    const manager = this.requireManager();
    const publisher = new RoomPublisher({
      managerRouter: manager.router,
      managerPub: manager.pub,
      id: `${this.label}-pub${(this.members += 1)}`,
      region: 'home',
      heartbeatMs: this.heartbeatMs,
      logger: this.logger,
      security: testBusSecurity('room-service'),
      ...options,
    });
    this.publishers.push(publisher);
    return publisher;
  }

  subscriber(options: Partial<RoomSubscriberOptions> = {}): RoomSubscriber {
    const manager = this.requireManager();
    const subscriber = new RoomSubscriber({
      managerRouter: manager.router,
      managerPub: manager.pub,
      id: `${this.label}-sub${(this.members += 1)}`,
      region: 'home',
      heartbeatMs: this.heartbeatMs,
      logger: this.logger,
      security: testBusSecurity('gateway'),
      ...options,
    });
    this.subscribers.push(subscriber);
    return subscriber;
  }

  /** Waits until the publisher pushes to exactly these nodes. */
  async waitForPublisherNodes(publisher: RoomPublisher, count: number, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => publisher.stats.nodes === count, {
      timeoutMs,
      what: `the publisher to push to ${count} nodes (at ${publisher.stats.nodes})`,
    });
  }

  /** Waits until the subscriber's connections to these nodes (or relays) completed. */
  async waitForConnected(subscriber: RoomSubscriber, ids: string[], timeoutMs = 15_000): Promise<void> {
    const want = [...ids].sort().join(',');
    await waitFor(() => [...subscriber.connected].sort().join(',') === want, {
      timeoutMs,
      what: `${subscriber.membership.id} to be connected to [${want}] (at [${subscriber.connected.join(',')}])`,
    });
  }

  // ---- teardown -------------------------------------------------------------------------------

  /** Closes every publisher and subscriber and kills every process. */
  /**
   * The usual starting point: a manager, `count` active nodes, one subscriber joined to `rooms` and
   * heard by every node, and a publisher that routes to all of them.
   */
  async startWired(count: number, rooms: readonly string[]): Promise<WiredCluster> {
    await this.startManager();
    const nodes = await Promise.all(Array.from({ length: count }, () => this.startNode()));
    await this.waitForStates(nodes.map((n) => n.id));
    const subscriber = this.subscriber();
    for (const room of rooms) subscriber.join(room);
    await subscriber.start();
    await this.waitForConnected(
      subscriber,
      nodes.map((n) => n.id),
    );
    for (const node of nodes) await this.waitForSubscriptions(node, rooms.length);
    const publisher = this.publisher();
    await publisher.start();
    await this.waitForPublisherNodes(publisher, nodes.length);
    return { nodes, publisher, subscriber };
  }

  async close(): Promise<void> {
    await Promise.allSettled([
      ...this.publishers.map((p) => p.close()),
      ...this.subscribers.map((s) => s.close()),
    ]);
    await this.processes.killAll();
  }

  private requireManager(): ManagerProcess {
    if (!this.manager) throw new Error('start the node manager first');
    return this.manager;
  }

  private spawn(
    app: string,
    httpPort: number,
    label: string,
    env: Record<string, string>,
  ): Promise<AppProcess> {
    return this.processes.start(app, { httpPort, label, env: { LOG_LEVEL: 'warn', ...env } });
  }
}
