import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import {
  AppProcess,
  deleteKeysWithPrefix,
  freePorts,
  testRedisUrl,
  uniqueKeyPrefix,
  waitFor,
  WORKSPACE_ROOT,
} from '@live-im/testing';

type Env = Record<string, string>;

/** What one HTTP exchange gave back. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpProbe {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** The local address to connect from (127.0.0.x): a distinct client address to the gateway. */
  localAddress?: string;
  /** Where to send it: the gateway's public port unless given (e.g. an admin port). */
  port?: number;
}

/**
 * The part of the system the edge probes need, as real processes from dist/ on free loopback
 * ports against the real Redis under one key prefix: an RPC broker, user-service, a node manager,
 * one broadcast node and one gateway (logging at info, so its request lines can be read).
 */
export class EdgeCluster {
  readonly keyPrefix = uniqueKeyPrefix('e2e:security-edge');
  readonly apiKey = randomBytes(24).toString('hex');
  broker!: AppProcess;
  manager!: AppProcess;
  node!: AppProcess;
  gateway!: AppProcess;
  brokerFrontend = '';
  brokerBackend = '';
  nodePull = '';
  nodePub = '';
  managerRouter = '';
  managerPub = '';
  private readonly apps: AppProcess[] = [];

  static async start(gatewayEnv: Env = {}): Promise<EdgeCluster> {
    const cluster = new EdgeCluster();
    try {
      await cluster.boot(gatewayEnv);
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  private async boot(gatewayEnv: Env): Promise<void> {
    const ports = await freePorts(12);
    const next = (): number => ports.shift() ?? 0;
    const tcp = (port: number): string => `tcp://127.0.0.1:${port}`;
    this.brokerFrontend = tcp(next());
    this.brokerBackend = tcp(next());
    this.nodePull = tcp(next());
    const [nmRouter, nmPub, nodePub] = [tcp(next()), tcp(next()), tcp(next())];
    [this.managerRouter, this.managerPub, this.nodePub] = [nmRouter, nmPub, nodePub];
    const common: Env = {
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: this.keyPrefix,
      HEARTBEAT_MS: '250',
      LOG_LEVEL: 'warn',
    };
    const [broker, manager] = await Promise.all([
      this.start('rpc-broker', next(), {
        ...common,
        RPC_FRONTEND_BIND: this.brokerFrontend,
        RPC_BACKEND_BIND: this.brokerBackend,
        BROKER_ID: 'security-broker',
      }),
      this.start('node-manager', next(), { ...common, NM_ROUTER_BIND: nmRouter, NM_PUB_BIND: nmPub }),
    ]);
    this.broker = broker;
    this.manager = manager;
    [this.node] = await Promise.all([
      this.start('broadcast-node', next(), {
        ...common,
        NODE_ID: 'security-bn1',
        BCAST_PULL_BIND: this.nodePull,
        BCAST_PUB_BIND: nodePub,
        NM_ROUTER: nmRouter,
        NM_PUB: nmPub,
      }),
      this.start('user-service', next(), {
        ...common,
        RPC_BROKER_BACKENDS: this.brokerBackend,
        JWT_SECRET: randomBytes(32).toString('hex'),
      }),
    ]);
    this.gateway = await this.start('gateway', next(), {
      ...common,
      LOG_LEVEL: 'info',
      RPC_BROKER_FRONTENDS: this.brokerFrontend,
      NM_ROUTER: nmRouter,
      NM_PUB: nmPub,
      API_KEY: this.apiKey,
      ...gatewayEnv,
    });
  }

  private async start(app: string, httpPort: number, env: Env): Promise<AppProcess> {
    const label = `security-${app}`;
    // A fresh log per run: the probes read the gateway's, and AppProcess appends.
    mkdirSync(join(WORKSPACE_ROOT, 'tmp/test-logs'), { recursive: true });
    writeFileSync(join(WORKSPACE_ROOT, 'tmp/test-logs', `${label}.log`), '');
    const proc = await AppProcess.start(app, {
      httpPort,
      env,
      label,
      readyTimeoutMs: 20_000,
    });
    this.apps.push(proc);
    return proc;
  }

  /** One HTTP exchange with the gateway, from `localAddress` when given. */
  http(probe: HttpProbe): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: probe.port ?? this.gateway.httpPort,
          method: probe.method ?? 'GET',
          path: probe.path,
          headers: probe.headers,
          localAddress: probe.localAddress,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString(),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(probe.body);
    });
  }

  /** POSTs JSON (or raw bytes) to the gateway. */
  post(
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
    localAddress?: string,
  ): Promise<HttpAnswer> {
    const raw = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    return this.http({
      method: 'POST',
      path,
      body: raw,
      localAddress,
      headers: { 'content-type': 'application/json', 'content-length': String(raw.length), ...headers },
    });
  }

  /** The gateway's log so far. */
  gatewayLog(): string {
    return readFileSync(this.gateway.logFile, 'utf8');
  }

  /**
   * The gateway's log once everything before now is in it: a request the body parser refuses never
   * reaches the request logger, so a marker request (`requestId`) that does is awaited instead.
   */
  async gatewayLogSettled(requestId: string): Promise<string> {
    await this.http({ path: '/api/log-marker', headers: { 'x-request-id': requestId } });
    return waitFor(() => (this.gatewayLog().includes(`"reqId":"${requestId}"`) ? this.gatewayLog() : ''), {
      what: `the gateway's log line of request ${requestId}`,
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.apps.reverse().map((app) => app.stop()));
    await deleteKeysWithPrefix(this.keyPrefix).catch(() => undefined);
  }
}

/** A process's resident memory, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}
