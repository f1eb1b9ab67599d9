import { randomBytes } from 'node:crypto';
import {
  AppProcess,
  ProcessGroup,
  deleteKeysWithPrefix,
  freePorts,
  RecordingLogger,
  testRedisUrl,
  uniqueKeyPrefix,
  waitFor,
  testBusSecurity,
} from '@live-im/testing';
import {
  RpcClient,
  RpcWorker,
  type BrokerStats,
  type BrokerWorkerStats,
  type RpcClientOptions,
  type RpcWorkerOptions,
} from '@live-im/zmq-transport';

/**
 * Short heartbeats everywhere, so a dead peer is noticed within 3 × 500 ms (at 250 ms, a worker
 * starved by scrypt-bound logins on a loaded 2-core host was declared dead while alive).
 */
export const HEARTBEAT_MS = 500;

/** One broker of the cluster: fixed ports, so it can be killed and started again on the same ones. */
export class BrokerNode {
  process: AppProcess | undefined;
  starts = 0;

  constructor(
    readonly name: string,
    readonly frontendPort: number,
    readonly backendPort: number,
    readonly httpPort: number,
    readonly env: Record<string, string>,
  ) {}

  get frontend(): string {
    return `tcp://127.0.0.1:${this.frontendPort}`;
  }

  get backend(): string {
    return `tcp://127.0.0.1:${this.backendPort}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }
}

export interface UserServiceOptions {
  /** Brokers it serves; default every broker of the cluster. */
  brokers?: BrokerNode[];
  capacity?: number;
  instance?: string;
}

/**
 * The system under test as real processes: brokers and user-services spawned from dist/ on free
 * loopback ports against the real Redis (one key prefix per cluster), plus the in-process clients
 * and workers a test drives them with. `close()` tears all of it down whatever state it is in.
 */
export class RpcCluster {
  readonly keyPrefix: string;
  readonly jwtSecret = randomBytes(32).toString('hex');
  readonly brokers: BrokerNode[] = [];
  readonly userServices: AppProcess[] = [];
  readonly logger = new RecordingLogger();
  private readonly clients: RpcClient[] = [];
  private readonly workers: RpcWorker[] = [];
  private readonly admins = new Map<BrokerNode, RpcClient>();
  private readonly processes = new ProcessGroup();
  private readonly instanceByProcess = new Map<AppProcess, string>();
  private instances = 0;

  constructor(readonly label: string) {
    this.keyPrefix = uniqueKeyPrefix(`e2e:${label}`);
  }

  // ---- brokers --------------------------------------------------------------------------------

  async startBroker(env: Record<string, string> = {}): Promise<BrokerNode> {
    const [frontend, backend, http] = (await freePorts(3)) as [number, number, number];
    const node = new BrokerNode(`broker${this.brokers.length + 1}`, frontend, backend, http, env);
    this.brokers.push(node);
    await this.launch(node);
    return node;
  }

  /** kill -9 */
  async killBroker(node: BrokerNode): Promise<void> {
    await node.process?.kill();
  }

  /** Starts a killed or stopped broker again on the same ports. */
  async launch(node: BrokerNode): Promise<AppProcess> {
    if (node.running) throw new Error(`${node.name} is already running`);
    node.starts += 1;
    node.process = await this.spawn(
      'rpc-broker',
      node.httpPort,
      `${this.label}-${node.name}-${node.starts}`,
      {
        RPC_FRONTEND_BIND: node.frontend,
        RPC_BACKEND_BIND: node.backend,
        HEARTBEAT_MS: String(HEARTBEAT_MS),
        BROKER_ID: `${this.label}-${node.name}`,
        ...node.env,
      },
    );
    return node.process;
  }

  /** STATS through a client of this broker alone. */
  stats(node: BrokerNode, timeoutMs = 2000): Promise<BrokerStats> {
    let admin = this.admins.get(node);
    if (!admin) {
      admin = this.client([node]);
      this.admins.set(node, admin);
    }
    return admin.stats(0, timeoutMs);
  }

  /** The workers of a service as the broker sees them. */
  async workersOf(node: BrokerNode, service: string): Promise<BrokerWorkerStats[]> {
    return (await this.stats(node)).services[service]?.workers ?? [];
  }

  /** Waits until the broker lists exactly these instances (ready, not draining) for the service. */
  async waitForWorkers(
    node: BrokerNode,
    service: string,
    instances: string[],
    timeoutMs = 15_000,
  ): Promise<void> {
    const want = [...instances].sort().join(',');
    let seen = '';
    await waitFor(
      async () => {
        const workers = await this.workersOf(node, service);
        seen = workers
          .filter((w) => !w.draining)
          .map((w) => w.instance)
          .sort()
          .join(',');
        return seen === want && workers.length === instances.length;
      },
      {
        timeoutMs,
        intervalMs: 50,
        what: `${node.name} to list ${service} workers [${want}] (last seen [${seen}])`,
      },
    );
  }

  /** One sample of a Prometheus metric without labels from the broker's /metrics. */
  async metric(node: BrokerNode, name: string): Promise<number> {
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    if (line === undefined) throw new Error(`${name} is not in ${node.name}'s /metrics`);
    return Number(line.slice(name.length + 1));
  }

  // ---- user-service ---------------------------------------------------------------------------

  /** A user-service process, returned once every broker it serves lists it. */
  async startUserService(options: UserServiceOptions = {}): Promise<AppProcess> {
    const brokers = options.brokers ?? this.brokers;
    const instance = options.instance ?? `user-${(this.instances += 1)}`;
    const [httpPort] = (await freePorts(1)) as [number];
    const proc = await this.spawn('user-service', httpPort, `${this.label}-${instance}`, {
      RPC_BROKER_BACKENDS: brokers.map((b) => b.backend).join(','),
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: this.keyPrefix,
      JWT_SECRET: this.jwtSecret,
      WORKER_CAPACITY: String(options.capacity ?? 64),
      HEARTBEAT_MS: String(HEARTBEAT_MS),
      INSTANCE_ID: instance,
    });
    this.userServices.push(proc);
    this.instanceByProcess.set(proc, instance);
    await Promise.all(
      brokers.map((node) =>
        waitFor(
          async () =>
            (await this.workersOf(node, 'user')).some((w) => w.instance === instance && !w.draining),
          {
            timeoutMs: 15_000,
            what: `${node.name} to list ${instance}`,
          },
        ),
      ),
    );
    return proc;
  }

  /** The user-services still running. */
  get liveUserServices(): AppProcess[] {
    return this.userServices.filter((proc) => proc.running);
  }

  instanceOf(proc: AppProcess): string {
    const instance = this.instanceByProcess.get(proc);
    if (instance === undefined)
      throw new Error(`${proc.app} pid ${proc.pid} is not a user-service of this cluster`);
    return instance;
  }

  // ---- in-process peers -----------------------------------------------------------------------

  client(brokers: BrokerNode[] = this.brokers, options: Partial<RpcClientOptions> = {}): RpcClient {
    const client = new RpcClient({
      brokers: brokers.map((b) => b.frontend),
      heartbeatMs: HEARTBEAT_MS,
      logger: this.logger,
      security: testBusSecurity('rpc-cli'),
      ...options,
    });
    client.start();
    this.clients.push(client);
    return client;
  }

  /** A worker in the test process (a handler the test controls), serving the given brokers. */
  worker(
    options: Omit<RpcWorkerOptions, 'brokers' | 'instance' | 'version'> & { brokers?: BrokerNode[] },
  ): RpcWorker {
    const worker = new RpcWorker({
      instance: `${options.service}-in-test-${(this.instances += 1)}`,
      version: 'test',
      heartbeatMs: HEARTBEAT_MS,
      logger: this.logger,
      security: testBusSecurity('test-worker'),
      ...options,
      brokers: (options.brokers ?? this.brokers).map((b) => b.backend),
    });
    worker.start();
    this.workers.push(worker);
    return worker;
  }

  // ---- teardown -------------------------------------------------------------------------------

  /** Closes every client and worker, kills every process, deletes the cluster's Redis keys. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.clients.map((c) => c.close()), ...this.workers.map((w) => w.close())]);
    await this.processes.killAll();
    await deleteKeysWithPrefix(this.keyPrefix).catch(() => undefined);
  }

  private spawn(
    app: string,
    httpPort: number,
    label: string,
    env: Record<string, string>,
  ): Promise<AppProcess> {
    // A loaded 2-core host boots a Nest app beside busy peers in well over the default 20 s.
    return this.processes.start(app, {
      httpPort,
      label,
      readyTimeoutMs: 60_000,
      env: { LOG_LEVEL: 'warn', ...env },
    });
  }
}
