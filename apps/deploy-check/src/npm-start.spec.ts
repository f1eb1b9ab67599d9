import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtEntry, processAlive, SYSTEM_APPS, waitFor, WORKSPACE_ROOT } from '@live-im/testing';

/*
 * `npm start` (deploy/scripts/start-local.js) run for real, however it is stopped: every app and
 * the redis-server it started itself are gone afterwards, checked by pid. It uses fixed ports
 * (3000.., 5555.., 6379), so each run has a network namespace of its own where nothing answers on
 * 6379 and the script must start its own redis-server. It runs what `npm test` built (--no-build).
 */

const BUILT = SYSTEM_APPS.every((app) => existsSync(builtEntry(app)));
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((path) => existsSync(path));
const REDIS_SERVER = (process.env['PATH'] ?? '')
  .split(':')
  .map((dir) => join(dir, 'redis-server'))
  .find((path) => existsSync(path));

const skipReason =
  process.getuid?.() !== 0
    ? 'needs root to create a network namespace (ip netns)'
    : !IP
      ? 'needs iproute2 (ip netns)'
      : !REDIS_SERVER
        ? 'needs redis-server on PATH (sudo apt-get install -y redis-server)'
        : undefined;
if (skipReason) process.stderr.write(`npm-start.spec: skipped: ${skipReason}\n`);
const describeWhenPossible = skipReason ? describe.skip : describe;

function ip(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(IP ?? 'ip', args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`ip ${args.join(' ')}: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/** One `npm start -- --no-build` in a network namespace of its own, with a run directory of its own. */
class NpmStartRun {
  readonly netns = `live-im-start-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly runDir = mkdtempSync(join(tmpdir(), 'live-im-start-'));
  output = '';
  npm: ChildProcess | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({
    code: null,
    signal: null,
  });

  async start(): Promise<void> {
    await ip('netns', 'add', this.netns);
    await ip('-n', this.netns, 'link', 'set', 'lo', 'up');
    const env: Record<string, string | undefined> = {
      ...process.env,
      CI: 'true',
      LIVE_IM_RUN_DIR: this.runDir,
      LOG_LEVEL: 'warn',
    };
    // The script must find no Redis of its own accord and start one.
    delete env['REDIS_URL'];
    // `ip netns exec` execs npm in place: this child's pid is npm's, and it leads its own process
    // group, the foreground group a terminal's Ctrl-C would signal.
    const npm = spawn(IP ?? 'ip', ['netns', 'exec', this.netns, 'npm', 'start', '--', '--no-build'], {
      cwd: WORKSPACE_ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.npm = npm;
    this.exited = new Promise((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
    npm.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    npm.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    await waitFor(() => this.output.includes('live-im is running') || npm.exitCode !== null, {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: `npm start to say it is running (logs: ${this.runDir})`,
    });
    if (!this.output.includes('live-im is running'))
      throw new Error(`npm start ended early:\n${this.output}`);
  }

  /** `started <what> (pid N` lines: the nine apps and the redis-server. */
  startedPids(): Map<number, string> {
    const pids = new Map<number, string>();
    for (const match of this.output.matchAll(/^started (\S+) \(pid (\d+)/gm))
      pids.set(Number(match[2]), match[1]);
    return pids;
  }

  /** Every process in the namespace: npm, the script, its guard, redis-server, the apps. */
  async processesInside(): Promise<number[]> {
    return (await ip('netns', 'pids', this.netns)).split('\n').filter(Boolean).map(Number);
  }

  /** The start script's pid: the node process running start-local.js (npm's child). */
  async scriptPid(): Promise<number> {
    for (const pid of await this.processesInside()) {
      let argv: string[] = [];
      try {
        argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      } catch {
        continue; // Gone since the listing.
      }
      if (argv[1]?.endsWith('deploy/scripts/start-local.js')) return pid;
    }
    throw new Error('found no start-local.js process');
  }

  /** Whatever happened: every process left in the namespace is killed, then the namespace goes. */
  async destroy(): Promise<void> {
    if (this.npm?.exitCode === null && this.npm.signalCode === null) this.npm.kill('SIGKILL');
    const left = await this.processesInside().catch(() => []);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await waitFor(async () => (await this.processesInside().catch(() => [])).length === 0, {
      timeoutMs: 10_000,
      what: 'the namespace to empty',
    }).catch(() => undefined);
    await ip('netns', 'del', this.netns).catch(() => undefined);
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

describeWhenPossible('npm start', () => {
  beforeAll(() => {
    if (!BUILT) throw new Error('the apps are not built: run "npm run build" first (npm test does)');
  });

  let run: NpmStartRun;
  afterEach(async () => {
    await run?.destroy();
  }, 30_000);

  /** How it is stopped; `requested` stops end with exit 0 of the script and of npm. */
  const stops: Array<[string, { requested: boolean; stop: (run: NpmStartRun) => Promise<void> }]> = [
    [
      'SIGTERM to npm (a supervisor or an IDE stopping it)',
      { requested: true, stop: async (r) => void r.npm?.kill('SIGTERM') },
    ],
    [
      'Ctrl-C (SIGINT to the foreground process group)',
      { requested: true, stop: async (r) => void process.kill(-(r.npm?.pid as number), 'SIGINT') },
    ],
    [
      'SIGTERM to the start script itself',
      { requested: true, stop: async (r) => void process.kill(await r.scriptPid(), 'SIGTERM') },
    ],
    [
      'kill -9 of the start script (its guard stops the rest)',
      { requested: false, stop: async (r) => void process.kill(await r.scriptPid(), 'SIGKILL') },
    ],
    [
      'kill -9 of npm (the script sees its parent gone)',
      { requested: false, stop: async (r) => void r.npm?.kill('SIGKILL') },
    ],
  ];

  it.each(stops)(
    'after %s, no app and no redis-server it started is left',
    async (how, { requested, stop }) => {
      run = new NpmStartRun();
      await run.start();
      const started = run.startedPids();
      expect([...started.values()].sort()).toEqual([
        'broadcast-node',
        'broadcast-node',
        'gateway',
        'gateway',
        'node-manager',
        'redis-server',
        'room-service',
        'room-service',
        'rpc-broker',
        'user-service',
      ]);
      const inside = await run.processesInside();
      for (const pid of started.keys()) expect(inside).toContain(pid);
      expect(inside.every(processAlive)).toBe(true);

      await stop(run);
      const exit = await run.exited;
      if (requested) {
        // A clean stop: the script exits 0 and so does npm.
        expect(exit).toEqual({ code: 0, signal: null });
        expect(run.output).toMatch(/stopped redis-server \(pid \d+\)\nstopped 9 apps/);
      }
      const gone = await waitFor(() => ![...started.keys(), ...inside].some(processAlive), {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: `every process npm start ran to exit (${how})`,
      }).catch(() => false);
      const left = [...started].filter(([pid]) => processAlive(pid)).map(([pid, name]) => `${name} ${pid}`);
      expect({ gone, left }).toEqual({ gone: true, left: [] });
      expect(await run.processesInside()).toEqual([]);
    },
    240_000,
  );
});
