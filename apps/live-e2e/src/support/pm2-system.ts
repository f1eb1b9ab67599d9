import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deleteKeysWithPrefix,
  testRedisUrl,
  uniqueKeyPrefix,
  waitFor,
  WORKSPACE_ROOT,
  testBusKeysDir,
} from '@live-im/testing';

export const ECOSYSTEM = join(WORKSPACE_ROOT, 'deploy/pm2/ecosystem.config.js');
export const PM2_BIN = join(WORKSPACE_ROOT, 'node_modules/pm2/bin/pm2');

export type Env = Record<string, string | undefined>;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` in the workspace; never rejects. */
export function runNode(args: string[], env: Env, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: WORKSPACE_ROOT, env, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** What the ecosystem file declares for each app, evaluated by node as pm2 would. */
export interface DeclaredApp {
  name: string;
  env: Record<string, string>;
}

export async function declaredApps(env: Env): Promise<DeclaredApp[]> {
  const result = await runNode(
    ['-e', 'process.stdout.write(JSON.stringify(require(process.argv[1]).apps))', ECOSYSTEM],
    env,
  );
  if (result.code !== 0) throw new Error(`the ecosystem file did not load: ${result.stderr}`);
  return JSON.parse(result.stdout) as DeclaredApp[];
}

/** Every TCP port an app listens on or connects to: its HTTP ports and its ZeroMQ endpoints. */
export function portsOf(apps: DeclaredApp[]): number[] {
  const ports = new Set<number>();
  for (const app of apps) {
    for (const value of Object.values(app.env)) {
      for (const match of value.matchAll(/tcp:\/\/[^,\s]+:(\d+)/g)) ports.add(Number(match[1]));
    }
    ports.add(Number(app.env['ADMIN_PORT']));
    if (app.env['HTTP_PORT'] !== undefined) ports.add(Number(app.env['HTTP_PORT']));
  }
  return [...ports];
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function httpStatus(url: string): Promise<number | undefined> {
  const res = await fetch(url).catch(() => undefined);
  await res?.arrayBuffer();
  return res?.status;
}

const APPS = ['rpc-broker', 'user-service', 'room-service', 'node-manager', 'broadcast-node', 'gateway'];

/**
 * deploy/pm2/ecosystem.config.js under a pm2 daemon of its own (an isolated PM2_HOME), on a port
 * base nothing else uses, against the real Redis under a key prefix of its own.
 */
export class Pm2System {
  readonly pm2Home = mkdtempSync(join(tmpdir(), 'live-im-pm2-'));
  readonly keyPrefix: string;
  readonly secrets = {
    JWT_SECRET: randomBytes(32).toString('hex'),
    API_KEY: randomBytes(24).toString('hex'),
  };
  readonly baseEnv: Env;
  env: Env;
  apps: DeclaredApp[] = [];
  ports: number[] = [];

  constructor(label: string) {
    this.keyPrefix = uniqueKeyPrefix(`e2e:${label}`);
    this.baseEnv = {
      ...process.env,
      PM2_HOME: this.pm2Home,
      // The bus secured, as the ecosystem requires: the test run's key set.
      LIVE_IM_BUS_KEYS: testBusKeysDir(),
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: this.keyPrefix,
      LOG_LEVEL: 'warn',
      // Beside AppProcess's logs, not in the tmp/pm2-logs of a deployment on this host.
      LIVE_IM_PM2_LOG_DIR: join(
        WORKSPACE_ROOT,
        'tmp/test-logs',
        `pm2-${this.keyPrefix.replace(/[^A-Za-z0-9-]/g, '-')}`,
      ),
    };
    this.env = this.baseEnv;
  }

  get logDir(): string {
    return this.baseEnv['LIVE_IM_PM2_LOG_DIR'] as string;
  }

  /** Checks the build and picks a port base whose every port is free right now. */
  async choosePorts(): Promise<void> {
    for (const app of APPS) {
      const entry = join(WORKSPACE_ROOT, 'dist/apps', app, 'apps', app, 'src/main.js');
      if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
    }
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const candidate: Env = {
        ...this.baseEnv,
        ...this.secrets,
        LIVE_IM_PORT_BASE: String(randomInt(10_000, 30_000)),
      };
      const apps = await declaredApps(candidate);
      const ports = portsOf(apps);
      if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) {
        this.env = candidate;
        this.apps = apps;
        this.ports = ports;
        return;
      }
    }
    throw new Error('found no port base with every port free');
  }

  pm2(...args: string[]): Promise<RunResult> {
    return runNode([PM2_BIN, ...args], this.env);
  }

  /** `pm2 start` of the ecosystem, then every app's /health/ready answers 200. */
  async start(): Promise<void> {
    if (this.apps.length === 0) await this.choosePorts();
    const started = await this.pm2('start', ECOSYSTEM);
    if (started.code !== 0) throw new Error(`pm2 start failed: ${started.stderr}${started.stdout}`);
    await waitFor(async () => (await Promise.all(this.apps.map((a) => this.ready(a.name)))).every(Boolean), {
      timeoutMs: 40_000,
      intervalMs: 250,
      what: `every app ready (logs: ${this.logDir})`,
    });
  }

  async ready(name: string): Promise<boolean> {
    return (await httpStatus(`${this.adminUrl(name)}/health/ready`)) === 200;
  }

  /** A gateway's public listener; for every other app, its admin listener (its only HTTP side). */
  url(name: string): string {
    const env = this.envOf(name);
    return `http://127.0.0.1:${env['HTTP_PORT'] ?? env['ADMIN_PORT']}`;
  }

  /** Where an app's probes, /metrics and operator tools answer. */
  adminUrl(name: string): string {
    return `http://127.0.0.1:${this.envOf(name)['ADMIN_PORT']}`;
  }

  /** The env one app was declared with. */
  envOf(name: string): Record<string, string> {
    const app = this.apps.find((a) => a.name === name);
    if (!app) throw new Error(`the ecosystem declares no app ${name}`);
    return app.env;
  }

  /** The daemon and its apps go, then the keys and the home. */
  async destroy(): Promise<void> {
    await this.pm2('kill');
    await deleteKeysWithPrefix(this.keyPrefix).catch(() => undefined);
    rmSync(this.pm2Home, { recursive: true, force: true });
  }
}
