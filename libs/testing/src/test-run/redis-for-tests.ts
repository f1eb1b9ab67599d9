import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import Redis from 'ioredis';
// Relative imports only: jest loads this from its global set-up, where @live-im/* is not mapped.
import { freePort } from '../ports';
import { isExecutableFile } from './executable';
import { TestRunError } from './test-run-error';

/** The Redis tried when REDIS_URL is unset, as the apps default to it. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** What a host without redis-server is told, in the words `npm start` uses. */
export const REDIS_INSTALL_HINT =
  'install it (Debian: sudo apt-get install -y redis-server) or set REDIS_URL=redis://host:port';

/** The Redis one test run uses, and how it was found. */
export interface RedisForTests {
  url: string;
  /** `env`: REDIS_URL; `default`: 127.0.0.1:6379 answered; `private`: started for this run. */
  source: 'env' | 'default' | 'private';
  /** The private redis-server's pid and log; absent when the run found a Redis. */
  server?: { pid: number; logFile: string };
  /** Stops the private redis-server (and removes its folder); nothing for a Redis it found. */
  stop(): Promise<void>;
}

/** Why the Redis at `url` does not answer PING, or undefined when it does. */
export async function redisProblem(url: string, timeoutMs = 2_000): Promise<string | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The event says why a connection failed (ECONNREFUSED...); the rejection only that it closed.
  let connectionError: string | undefined;
  redis.on('error', (error: Error) => (connectionError ??= error.message));
  try {
    await redis.connect();
    const pong = await redis.ping();
    return pong === 'PONG' ? undefined : `it answered PING with ${pong}`;
  } catch (error) {
    return connectionError ?? (error instanceof Error ? error.message : String(error));
  } finally {
    redis.disconnect();
  }
}

/** The first executable `redis-server` on PATH, or undefined. */
export function findRedisServer(path = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** A Redis that answers now, or the redis-server that can start one. */
export type RedisAvailability = { url: string; source: 'env' | 'default' } | { redisServer: string };

/**
 * Where a test run's Redis comes from: REDIS_URL when set (it must answer), else 127.0.0.1:6379
 * when it answers, else the redis-server on PATH. Throws a TestRunError of one line naming Redis
 * when none can be had.
 */
export async function findRedisForTests(): Promise<RedisAvailability> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv) {
    const problem = await redisProblem(fromEnv);
    if (problem) throw new TestRunError(`Redis at REDIS_URL=${fromEnv} does not answer (${problem})`);
    return { url: fromEnv, source: 'env' };
  }
  if ((await redisProblem(DEFAULT_REDIS_URL, 1_000)) === undefined) {
    return { url: DEFAULT_REDIS_URL, source: 'default' };
  }
  const redisServer = findRedisServer();
  if (!redisServer) {
    throw new TestRunError(
      `No Redis answers on 127.0.0.1:6379 and redis-server is not installed: ${REDIS_INSTALL_HINT}.`,
    );
  }
  return { redisServer };
}

/**
 * Makes sure a Redis answers for a test run (see findRedisForTests): the one found, or a private
 * redis-server on a free loopback port, stopped by `stop()`.
 */
export async function prepareRedisForTests(logDir: string): Promise<RedisForTests> {
  const found = await findRedisForTests();
  if (!('redisServer' in found)) return { ...found, stop: async () => undefined };
  // A port free a moment ago may be taken before redis-server binds it: another port, then.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startPrivateRedis(found.redisServer, logDir);
    } catch (error) {
      if (attempt === 3 || !/address already in use/i.test(String(error))) throw error;
    }
  }
}

/**
 * A redis-server of the caller's own on a free loopback port (no persistence), for a test that reads
 * server-wide figures (INFO commandstats) no other test may add to. `stop()` ends it.
 */
export async function startPrivateRedisServer(logDir: string): Promise<RedisForTests> {
  const binary = findRedisServer();
  if (binary === undefined) throw new TestRunError(`no redis-server on PATH: ${REDIS_INSTALL_HINT}`);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startPrivateRedis(binary, logDir);
    } catch (error) {
      if (attempt === 3 || !/address already in use/i.test(String(error))) throw error;
    }
  }
}

/** Signals that end a process by default, which a private redis-server must not outlive. */
const ENDING_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

/** A redis-server of this run only: loopback, a free port, no persistence, a folder of its own. */
async function startPrivateRedis(binary: string, logDir: string): Promise<RedisForTests> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'live-im-test-redis-'));
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `redis-server-${port}.log`);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(binary, [...args, '--dir', dataDir, '--logfile', logFile, '--daemonize', 'no'], {
    stdio: 'ignore',
  });
  // Not a reason for the runner to stay alive; stop() ends it, and so does this process's end.
  child.unref();
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  // A SIGTERM or SIGHUP to jest alone ends it without an 'exit' event: the server goes first.
  const killOnSignal = (signal: NodeJS.Signals): void => {
    killOnExit();
    removeListeners();
    process.kill(process.pid, signal);
  };
  const removeListeners = (): void => {
    process.removeListener('exit', killOnExit);
    for (const signal of ENDING_SIGNALS) process.removeListener(signal, killOnSignal);
  };
  process.once('exit', killOnExit);
  // Only where nothing else handles the signal, so the default (ending the process) still follows.
  for (const signal of ENDING_SIGNALS)
    if (process.listenerCount(signal) === 0) process.once(signal, killOnSignal);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? code}`));
  });
  const stop = async (): Promise<void> => {
    removeListeners();
    await stopChild(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  let problem = await redisProblem(url, 500);
  while (problem !== undefined) {
    const early = await Promise.race([
      exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
    ]);
    if (early !== undefined || Date.now() > deadline) {
      await stop();
      const log = readLogTail(logFile);
      throw new TestRunError(
        `No Redis answers on 127.0.0.1:6379 and ${binary} did not start on port ${port} (${early ?? problem})${log}`,
      );
    }
    problem = await redisProblem(url, 500);
  }
  return { url, source: 'private', server: { pid: child.pid ?? -1, logFile }, stop };
}

/** SIGTERM, then SIGKILL when it is still there after 5 s; resolves once it has exited. */
async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** The log's last line, to say why a redis-server did not start. */
function readLogTail(logFile: string): string {
  try {
    const lines = readFileSync(logFile, 'utf8').trim().split('\n');
    return lines.length > 0 && lines[0] !== '' ? `: ${lines[lines.length - 1]}` : '';
  } catch {
    return '';
  }
}
