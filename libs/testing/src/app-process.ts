import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, createWriteStream, WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from './ports';
import { testRunEnv } from './test-run/run-processes';
import { waitFor } from './wait-for';
import { testBusEnv } from './test-bus-keys';

/** The nearest folder above `from` holding nx.json: right from sources and from dist/ alike. */
function findWorkspaceRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nx.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export const WORKSPACE_ROOT = findWorkspaceRoot(__dirname);

/** The apps a whole system runs (npm start, the pm2 ecosystem), in start order. */
export const SYSTEM_APPS = [
  'rpc-broker',
  'user-service',
  'room-service',
  'node-manager',
  'broadcast-node',
  'gateway',
] as const;

/** The apps with a public listener beside the admin one; every other app serves admin routes only. */
export const PUBLIC_HTTP_APPS: ReadonlySet<string> = new Set(['gateway']);

/** Where `nx build <app>` leaves an app's entry point. */
export function builtEntry(app: string): string {
  return join(WORKSPACE_ROOT, 'dist/apps', app, 'apps', app, 'src/main.js');
}

export interface SpawnAppOptions {
  env: Record<string, string>;
  /**
   * The app's HTTP port tests talk to: the gateway's public listener (API, Socket.IO, page), and
   * for every other app its admin listener, the only HTTP side it has.
   */
  httpPort: number;
  /** The gateway's admin listener (probes, metrics); a free port when not given. */
  adminPort?: number;
  waitReady?: boolean;
  readyTimeoutMs?: number;
  /** Label for the log file under tmp/test-logs. */
  label?: string;
  /** Extra node flags, e.g. ['--cpu-prof'] to profile the app. */
  nodeArgs?: string[];
}

/**
 * A built app running as a real child process. Its output goes to tmp/test-logs/<label>.log so a
 * failing test can be read afterwards.
 */
export class AppProcess {
  private exitPromise: Promise<number | null>;
  private exited = false;
  readonly logFile: string;

  private constructor(
    readonly app: string,
    readonly child: ChildProcess,
    readonly httpPort: number,
    /** Its admin listener: probes, /metrics and operator tools; readiness is awaited here. */
    readonly adminPort: number,
    logFile: string,
    log: WriteStream,
  ) {
    this.logFile = logFile;
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.exitPromise = new Promise((resolveExit) => {
      child.once('exit', (code) => {
        this.exited = true;
        log.end();
        resolveExit(code);
      });
    });
  }

  static async start(app: string, options: SpawnAppOptions): Promise<AppProcess> {
    const entry = builtEntry(app);
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
    const dir = join(WORKSPACE_ROOT, 'tmp/test-logs');
    mkdirSync(dir, { recursive: true });
    const label = options.label ?? `${app}-${options.httpPort}`;
    const logFile = join(dir, `${label}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const hasPublic = PUBLIC_HTTP_APPS.has(app);
    const adminPort = hasPublic ? (options.adminPort ?? (await freePort())) : options.httpPort;
    const listenEnv: Record<string, string> = hasPublic
      ? {
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(options.httpPort),
          ADMIN_HOST: '127.0.0.1',
          ADMIN_PORT: String(adminPort),
        }
      : { ADMIN_HOST: '127.0.0.1', ADMIN_PORT: String(adminPort) };
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), entry], {
      cwd: WORKSPACE_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        // So the run's end finds the app should a spec leave it running.
        ...testRunEnv(),
        LOG_LEVEL: 'info',
        ...listenEnv,
        // Secured by default, as every deploy path is; a suite may pass BUS_SECURITY=off.
        ...(options.env['BUS_SECURITY'] === 'off'
          ? {}
          : testBusEnv(app, options.env['NODE_ID'] ?? options.env['INSTANCE_ID'] ?? label)),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new AppProcess(app, child, options.httpPort, adminPort, logFile, log);
    if (options.waitReady !== false) {
      await proc.waitReady(options.readyTimeoutMs ?? 15_000);
    }
    return proc;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The gateway's public listener; every other app's admin listener (its only HTTP side). */
  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** Where its probes, /metrics and operator tools answer. */
  get adminUrl(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  async waitReady(timeoutMs = 15_000): Promise<void> {
    await waitFor(
      async () => {
        if (this.exited) throw new Error(`${this.app} exited during start; see ${this.logFile}`);
        const res = await fetch(`${this.adminUrl}/health/ready`).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs, intervalMs: 100, what: `${this.app} ready on :${this.adminPort} (log: ${this.logFile})` },
    );
  }

  /** kill -9: no goodbye, no drain. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.exitPromise;
  }

  /** SIGTERM and wait for a graceful exit; returns the exit code. */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    if (this.exited) return this.exitPromise;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  waitExit(): Promise<number | null> {
    return this.exitPromise;
  }
}
