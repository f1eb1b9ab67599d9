import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isExecutableFile, TestRunError, WORKSPACE_ROOT } from '@live-im/testing';

const JEST_BIN = join(WORKSPACE_ROOT, 'node_modules/jest/bin/jest.js');

/** Why the namespace specs cannot run on this machine, or undefined when they can. */
export function whyNoNamespaces(): string | undefined {
  if (process.platform !== 'linux') return 'network and mount namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'network and mount namespaces need root (CI runs these specs as root)';
  for (const tool of ['ip', 'unshare', 'mount']) {
    if (!onPath(tool))
      return `${tool} is not installed (Debian: apt-get install -y iproute2 util-linux mount)`;
  }
  return undefined;
}

/**
 * `describe`, run only where namespaces can be made. Elsewhere it skips with one line saying why;
 * under CI=true it fails instead, since CI must prove these points.
 */
export function describeInNamespaces(title: string, body: () => void): void {
  const reason = whyNoNamespaces();
  if (reason === undefined) {
    describe(title, body);
  } else if (process.env['CI'] === 'true') {
    describe(title, () => {
      it('runs in CI', () => {
        throw new TestRunError(`CI must run "${title}", but ${reason}`);
      });
    });
  } else {
    process.stderr.write(`fresh-host-e2e: skipped "${title}": ${reason}\n`);
    describe.skip(title, body);
  }
}

/** Every file named `name` on PATH that is executable (what a lookup by name could find). */
export function executablesOnPath(name: string): string[] {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  return [...new Set(dirs.map((dir) => join(dir, name)).filter(isExecutableFile))];
}

function onPath(name: string): boolean {
  return executablesOnPath(name).length > 0;
}

export interface NestedRun {
  code: number | null;
  /** stdout and stderr together, as a person at the terminal sees them. */
  output: string;
  timedOut: boolean;
  /** Processes of the run's process group still alive once its leader exited. */
  groupLeftovers: number[];
}

export interface NestedRunOptions {
  /** Extra environment; REDIS_URL, CHROMIUM_PATH, the outer run's marker and its tier are not passed on. */
  env?: Record<string, string>;
  /** Paths made to look like empty, non-executable files inside the run (bind mounts). */
  hide?: string[];
  /** The run is killed (its whole process group) after this long. */
  timeoutMs?: number;
}

/**
 * A host with nothing listening on loopback: a network namespace of its own with only `lo`, up.
 * `jest()` runs a nested jest inside it, in a mount namespace of its own where files can be
 * hidden. `close()` kills whatever is left in the namespace and deletes it.
 */
export class IsolatedHost {
  readonly name = `live-im-test-${randomBytes(4).toString('hex')}`;
  private readonly scratch = mkdtempSync(join(tmpdir(), 'live-im-isolated-'));
  private readonly deleteOnExit = () => {
    try {
      execFileSync('ip', ['netns', 'delete', this.name], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  };

  private constructor() {
    process.once('exit', this.deleteOnExit);
  }

  static async create(): Promise<IsolatedHost> {
    const host = new IsolatedHost();
    try {
      await command('ip', ['netns', 'add', host.name]);
      await command('ip', ['netns', 'exec', host.name, 'ip', 'link', 'set', 'lo', 'up']);
    } catch (error) {
      await host.close();
      throw error;
    }
    return host;
  }

  /** Runs `jest --runInBand <args>` of this workspace inside the namespace, to its end. */
  jest(args: string[], options: NestedRunOptions = {}): Promise<NestedRun> {
    return this.run([process.execPath, JEST_BIN, '--runInBand', ...args], options);
  }

  /** Runs a command from the workspace root inside the namespace, to its end. */
  run(commandLine: string[], options: NestedRunOptions = {}): Promise<NestedRun> {
    const empty = join(this.scratch, 'hidden');
    writeFileSync(empty, '', { mode: 0o644 });
    const hide = options.hide ?? [];
    // Mount errors end the script: a run that hid nothing would prove nothing.
    const script = ['set -e', ...hide.map((_, i) => `mount --bind "$HIDDEN" "$HIDE_${i}"`), 'exec "$@"'].join(
      '\n',
    );
    const env: NodeJS.ProcessEnv = { ...process.env, HIDDEN: empty, FORCE_COLOR: '0', ...options.env };
    hide.forEach((path, i) => (env[`HIDE_${i}`] = path));
    for (const name of ['REDIS_URL', 'CHROMIUM_PATH', 'LIVE_IM_TEST_RUN', 'LIVE_IM_TEST_TIER']) {
      if (!options.env?.[name]) delete env[name];
    }
    const argv = ['netns', 'exec', this.name, 'unshare', '--mount', '--propagation', 'private', '--'];
    argv.push('sh', '-c', script, 'sh', ...commandLine);

    // Its own process group, so whatever it leaves can be seen (and killed) by the group id.
    const child = spawn('ip', argv, {
      cwd: WORKSPACE_ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs ?? 150_000);
    return new Promise((resolve) => {
      child.once('close', (code) => {
        clearTimeout(timer);
        const groupLeftovers = groupMembers(child.pid);
        killGroup(child.pid);
        resolve({ code, output, timedOut, groupLeftovers });
      });
    });
  }

  /** The pids of every process in the namespace. */
  async pids(): Promise<number[]> {
    const out = await command('ip', ['netns', 'pids', this.name]);
    return out.split(/\s+/).filter(Boolean).map(Number);
  }

  async close(): Promise<void> {
    for (const pid of await this.pids().catch(() => [])) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await command('ip', ['netns', 'delete', this.name]).catch(() => undefined);
    process.removeListener('exit', this.deleteOnExit);
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** The live (not zombie) pids in process group `pgid`, read from /proc. */
function groupMembers(pgid: number | undefined): number[] {
  if (pgid === undefined) return [];
  const members: number[] = [];
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after its closing paren.
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(group) === pgid && state !== 'Z') members.push(Number(name));
    } catch {
      // Exited while being read.
    }
  }
  return members;
}

function killGroup(pgid: number | undefined): void {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // The group is empty.
  }
}

function command(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}
