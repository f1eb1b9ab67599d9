import { randomBytes } from 'node:crypto';
import {
  type BusinessReceipt,
  BusinessRpc,
  ErrorCode,
  RpcError,
  type JoinResult,
  type NodeState,
} from '@live-im/contracts';
import {
  AppProcess,
  deleteKeysWithPrefix,
  freePorts,
  metricSample,
  RecordingLogger,
  testRedisEnv,
  uniqueKeyPrefix,
  waitFor,
  testBusSecurity,
} from '@live-im/testing';
import { RpcClient, RpcWorker, type InboundRequest } from '@live-im/zmq-transport';
import { LiveApi } from './live-api';
import { LiveClient, type LiveClientOptions } from './live-client';

/** Short heartbeats everywhere, so a dead peer is noticed within 3 × 250 ms. */
export const HEARTBEAT_MS = 250;

type Env = Record<string, string>;

export interface LiveClusterOptions {
  /** Names the log files (tmp/test-logs/live-<label>-*.log) and the Redis key prefix. */
  label: string;
  gateways?: number;
  /** Extra env of every app (e.g. PRESENCE_LEASE_MS, which gateways and room-service share). */
  env?: Env;
  roomServices?: number;
  /** Extra env of every gateway, room-service worker, broadcast node. */
  gatewayEnv?: Env;
  roomEnv?: Env;
  nodeEnv?: Env;
}

/** What GET /cluster of the node manager serves (the fields read here). */
interface ClusterView {
  nodes: Array<{ id: string; state: NodeState }>;
  members: Array<{ id: string; kind: string; state: NodeState; connected?: string[] }>;
}

/** One process of the live system: its role, its HTTP side and the env it was started with. */
export class LiveApp {
  process: AppProcess | undefined;

  constructor(
    readonly app: string,
    readonly name: string,
    readonly httpPort: number,
    readonly env: Env,
    /** Its probes and /metrics: the gateway's own admin port, every other app's only HTTP port. */
    readonly adminPort: number = httpPort,
  ) {}

  /** The gateway's public listener; every other app's admin listener. */
  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  async ready(): Promise<boolean> {
    const res = await fetch(`${this.adminUrl}/health/ready`).catch(() => undefined);
    return res?.status === 200;
  }

  /** The process and its event loop answer (/health/live), ready for new connections or not. */
  async live(): Promise<boolean> {
    const res = await fetch(`${this.adminUrl}/health/live`).catch(() => undefined);
    return res?.status === 200;
  }

  /** kill -9: no goodbye. */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  /** A Prometheus metric from /metrics, summed over the samples whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return metricSample(this.adminUrl, name, labels);
  }
}

/** A receipt as business.receipts delivers it. */
export type { BusinessReceipt };

/**
 * The whole live system as real processes from dist/, on free loopback ports, against the real
 * Redis under one key prefix: an RPC broker, user-service, room-service workers, a node manager,
 * two broadcast nodes and the gateways. `close()` tears everything down whatever state it is in.
 */
export class LiveCluster {
  readonly keyPrefix: string;
  readonly jwtSecret = randomBytes(32).toString('hex');
  readonly apiKey = randomBytes(24).toString('hex');
  readonly logger = new RecordingLogger();
  readonly apps: LiveApp[] = [];
  broker!: LiveApp;
  manager!: LiveApp;
  userService!: LiveApp;
  readonly roomServices: LiveApp[] = [];
  readonly nodes: LiveApp[] = [];
  readonly gateways: LiveApp[] = [];
  private brokerFrontend = '';
  private brokerBackend = '';
  private readonly clients = new Set<LiveClient>();
  private readonly workers: RpcWorker[] = [];
  private readonly killOnExit = () => {
    for (const app of this.apps) if (app.running) app.process?.child.kill('SIGKILL');
  };

  private constructor(readonly options: LiveClusterOptions) {
    this.keyPrefix = uniqueKeyPrefix(`e2e:live-${options.label}`);
    // A jest run that dies must not leave the system behind.
    process.once('exit', this.killOnExit);
  }

  static async start(options: LiveClusterOptions): Promise<LiveCluster> {
    const cluster = new LiveCluster(options);
    try {
      await cluster.boot();
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  private async boot(): Promise<void> {
    const { label } = this.options;
    const gatewayCount = this.options.gateways ?? 2;
    const roomCount = this.options.roomServices ?? 2;
    const ports = await freePorts(4 + 2 * 3 + 2 + roomCount + 1 + 2 * gatewayCount);
    const next = (): number => {
      const port = ports.shift();
      if (port === undefined) throw new Error('ran out of free ports');
      return port;
    };
    const tcp = (port: number): string => `tcp://127.0.0.1:${port}`;
    this.brokerFrontend = tcp(next());
    this.brokerBackend = tcp(next());
    const nmRouter = tcp(next());
    const nmPub = tcp(next());
    const common: Env = {
      // REDIS_URL, and REDIS_CLUSTER_NODES on a LIVE_IM_TEST_REDIS=cluster run.
      ...testRedisEnv(),
      REDIS_KEY_PREFIX: this.keyPrefix,
      HEARTBEAT_MS: String(HEARTBEAT_MS),
      LOG_LEVEL: 'warn',
      ...this.options.env,
    };

    this.broker = this.define('rpc-broker', `live-${label}-broker`, next(), {
      ...common,
      RPC_FRONTEND_BIND: this.brokerFrontend,
      RPC_BACKEND_BIND: this.brokerBackend,
      BROKER_ID: `live-${label}-broker`,
    });
    this.manager = this.define('node-manager', `live-${label}-nm`, next(), {
      ...common,
      NM_ROUTER_BIND: nmRouter,
      NM_PUB_BIND: nmPub,
    });
    for (let i = 1; i <= 2; i += 1) {
      const id = `live-${label}-bn${i}`;
      this.nodes.push(
        this.define('broadcast-node', id, next(), {
          ...common,
          NODE_ID: id,
          BCAST_PULL_BIND: tcp(next()),
          BCAST_PUB_BIND: tcp(next()),
          NM_ROUTER: nmRouter,
          NM_PUB: nmPub,
          ...this.options.nodeEnv,
        }),
      );
    }
    this.userService = this.define('user-service', `live-${label}-user`, next(), {
      ...common,
      RPC_BROKER_BACKENDS: this.brokerBackend,
      JWT_SECRET: this.jwtSecret,
    });
    for (let i = 1; i <= roomCount; i += 1) {
      this.roomServices.push(
        this.define('room-service', `live-${label}-room${i}`, next(), {
          ...common,
          RPC_BROKER_BACKENDS: this.brokerBackend,
          RPC_BROKER_FRONTENDS: this.brokerFrontend,
          NM_ROUTER: nmRouter,
          NM_PUB: nmPub,
          REGION: 'home',
          ...this.options.roomEnv,
        }),
      );
    }
    for (let i = 1; i <= gatewayCount; i += 1) {
      this.gateways.push(
        this.define(
          'gateway',
          `live-${label}-gw${i}`,
          next(),
          {
            ...common,
            RPC_BROKER_FRONTENDS: this.brokerFrontend,
            NM_ROUTER: nmRouter,
            NM_PUB: nmPub,
            API_KEY: this.apiKey,
            // Every client of a test comes from 127.0.0.1: the per-address limits would meter the
            // test, not a client. Tests of the limits themselves override these.
            CONNECTS_PER_IP_PER_SEC: '100000',
            AUTH_PER_IP_PER_SEC: '100000',
            JOINS_PER_SOCKET_PER_SEC: '100',
            EVENTS_PER_SOCKET_PER_SEC: '10000',
            ...this.options.gatewayEnv,
          },
          next(),
        ),
      );
    }

    // Bottom up, each layer in parallel: what a layer connects to is listening before it starts.
    await this.launchAll([this.broker, this.manager]);
    await this.launchAll([...this.nodes, this.userService, ...this.roomServices]);
    await this.waitForWorkers();
    await this.launchAll(this.gateways);
    await this.waitForBroadcastMesh();
  }

  private define(app: string, name: string, httpPort: number, env: Env, adminPort?: number): LiveApp {
    const liveApp = new LiveApp(app, name, httpPort, { ...env, INSTANCE_ID: name }, adminPort);
    this.apps.push(liveApp);
    return liveApp;
  }

  /** Starts apps in parallel; settles every start before failing, so none is left behind. */
  private async launchAll(apps: LiveApp[]): Promise<void> {
    const results = await Promise.allSettled(apps.map((app) => this.launch(app)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** Starts (or restarts, on the same ports) one app and waits until it is ready. */
  async launch(app: LiveApp): Promise<void> {
    if (app.running) throw new Error(`${app.name} is already running`);
    app.process = await AppProcess.start(app.app, {
      httpPort: app.httpPort,
      adminPort: app.adminPort,
      label: app.name,
      waitReady: false,
      env: app.env,
    });
    await app.process.waitReady(20_000);
  }

  /** Every room and user worker is READY at the broker, so no first call waits for a grace period. */
  private async waitForWorkers(): Promise<void> {
    const admin = this.rpcClient();
    try {
      let seen = '';
      await waitFor(
        async () => {
          const stats = await admin.stats(0, 1000);
          const rooms = stats.services['room']?.workers.length ?? 0;
          const users = stats.services['user']?.workers.length ?? 0;
          seen = `room ${rooms}, user ${users}`;
          return rooms === this.roomServices.length && users === 1;
        },
        { timeoutMs: 15_000, intervalMs: 100, what: `the broker to list every worker (last seen ${seen})` },
      );
    } finally {
      await admin.close();
    }
  }

  /**
   * Both broadcast nodes are active and every gateway listens to both, so the first message of a
   * test is not lost to a topology still forming.
   */
  private async waitForBroadcastMesh(): Promise<void> {
    const nodeIds = this.nodes.map((n) => n.name);
    let seen = '';
    await waitFor(
      async () => {
        const view = await this.clusterView();
        const active = view.nodes.filter((n) => nodeIds.includes(n.id) && n.state === 'active').length;
        const listening = view.members.filter(
          (m) => m.kind === 'subscriber' && nodeIds.every((id) => m.connected?.includes(id)),
        ).length;
        const publishers = view.members.filter((m) => m.kind === 'publisher').length;
        seen = `${active} nodes active, ${listening} subscribers on all nodes, ${publishers} publishers`;
        return (
          active === nodeIds.length &&
          listening >= this.gateways.length &&
          publishers >= this.roomServices.length
        );
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `the broadcast mesh (last seen ${seen})` },
    );
  }

  async clusterView(): Promise<ClusterView> {
    const res = await fetch(`${this.manager.url}/cluster`);
    if (res.status !== 200) throw new Error(`GET /cluster answered ${res.status}`);
    return (await res.json()) as ClusterView;
  }

  /** The HTTP API of one gateway. */
  api(gateway = 0): LiveApi {
    const app = this.gateways[gateway];
    if (!app) throw new Error(`no gateway ${gateway}`);
    return new LiveApi(app.url, this.apiKey);
  }

  /** A connected Socket.IO client of one gateway, closed with the cluster. */
  async client(gateway: number, options: Omit<LiveClientOptions, 'url'> = {}): Promise<LiveClient> {
    const app = this.gateways[gateway];
    if (!app) throw new Error(`no gateway ${gateway}`);
    const client = new LiveClient({ ...options, url: app.url });
    this.clients.add(client);
    await client.connected();
    return client;
  }

  /** A connected client of one gateway that joined `roomId`; the join's result comes with it. */
  async joined(
    gateway: number,
    roomId: string,
    options: Omit<LiveClientOptions, 'url'> = {},
  ): Promise<{ client: LiveClient; join: JoinResult }> {
    const client = await this.client(gateway, options);
    const join = await client.send('join', { roomId });
    return { client, join };
  }

  /** A client that is not connected yet (to see connect_error, or to pick the moment). */
  unconnectedClient(gateway: number, options: Omit<LiveClientOptions, 'url'> = {}): LiveClient {
    const app = this.gateways[gateway];
    if (!app) throw new Error(`no gateway ${gateway}`);
    const client = new LiveClient({ ...options, url: app.url });
    this.clients.add(client);
    return client;
  }

  rpcClient(): RpcClient {
    const client = new RpcClient({
      brokers: [this.brokerFrontend],
      heartbeatMs: HEARTBEAT_MS,
      logger: this.logger,
      security: testBusSecurity('rpc-cli'),
    });
    client.start();
    return client;
  }

  /**
   * The platform's business backend in the test process: a `business` worker recording every
   * receipt of the business.receipts batches room-service sends, validated against the contract;
   * `batches` gets the size of each batch.
   */
  businessWorker(received: BusinessReceipt[], batches: number[] = []): RpcWorker {
    const worker = new RpcWorker({
      brokers: [this.brokerBackend],
      service: 'business',
      instance: `business-in-test-${this.workers.length + 1}`,
      version: 'test',
      heartbeatMs: HEARTBEAT_MS,
      logger: this.logger,
      security: testBusSecurity('business'),
      dispatch: (pattern: string, payload: unknown, request: InboundRequest) => {
        if (pattern !== BusinessRpc.receipts.pattern) {
          request.fail(new RpcError(ErrorCode.UNIMPLEMENTED, `no handler for ${pattern}`));
          return;
        }
        const parsed = BusinessRpc.receipts.request.safeParse(payload);
        if (!parsed.success) {
          request.fail(new RpcError(ErrorCode.INVALID_ARGUMENT, parsed.error.message));
          return;
        }
        received.push(...parsed.data.receipts);
        batches.push(parsed.data.receipts.length);
        request.value({}, true);
      },
    });
    worker.start();
    this.workers.push(worker);
    return worker;
  }

  /** Waits until the broker lists a worker of `service`. */
  async waitForService(service: string): Promise<void> {
    const admin = this.rpcClient();
    try {
      await waitFor(async () => ((await admin.stats(0, 1000)).services[service]?.workers.length ?? 0) > 0, {
        timeoutMs: 10_000,
        what: `a ${service} worker at the broker`,
      });
    } finally {
      await admin.close();
    }
  }

  /** The apps that should be up (not killed by the test) and whether each is running and ready. */
  async health(): Promise<Array<{ name: string; running: boolean; ready: boolean }>> {
    return Promise.all(
      this.apps.map(async (app) => ({ name: app.name, running: app.running, ready: await app.ready() })),
    );
  }

  /** Sums a metric over the broadcast nodes. */
  async nodeMetric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const values = await Promise.all(this.nodes.map((node) => node.metric(name, labels)));
    return values.reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.close();
    await Promise.allSettled(this.workers.map((worker) => worker.close()));
    await Promise.allSettled(this.apps.map((app) => app.kill()));
    process.removeListener('exit', this.killOnExit);
    await deleteKeysWithPrefix(this.keyPrefix).catch(() => undefined);
  }
}
