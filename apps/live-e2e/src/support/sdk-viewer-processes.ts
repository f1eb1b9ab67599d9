import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@live-im/testing';

/**
 * Many SDK viewers in a few child processes (support/sdk-viewers.ts), so that a spec drives a
 * thousand of them without its own event loop, which also runs the senders and the metric reads,
 * falling behind. Each viewer is a real `connect` of libs/client-sdk: its cursor, gap fill and
 * reconnect loop. The parent asks, the child answers over the fork IPC channel, one reply per
 * command, in order.
 */

/** Where a process's viewers connect, and how they reconnect. */
export interface ViewerJoin {
  roomId: string;
  urls: string[];
  /**
   * 'one-each': viewer n (counted over all processes) gets only urls[n % urls.length] (the SDK
   * retries that gateway alone); 'all': every viewer gets the whole list (it starts on urls[0] and
   * moves on to another when its gateway dies).
   */
  spread: 'one-each' | 'all';
  /** The SDK's reconnect delays (its defaults when absent). */
  reconnect?: { minDelayMs: number; maxDelayMs: number };
}

export type ViewerCommand =
  | ({ kind: 'join'; count: number; firstIndex: number } & ViewerJoin)
  /** The state of every viewer; `ids`: the important message ids each one is checked for. */
  | { kind: 'report'; ids: string[] };

/** One viewer as its process sees it. */
export interface ViewerState {
  /** The gateway it is connected to (or last tried), '' before the first connect. */
  url: string;
  /** Joined on a live connection (false while it reconnects). */
  joined: boolean;
  /** The SDK's gap events per lane (seqs it had to pull itself, the last resort). */
  gaps: { normal: number; important: number };
  /** The ids asked for that it has not been given (live, in a join answer, or pulled). */
  lacking: string[];
}

export type ViewerReply =
  | { kind: 'joined'; viewers: number }
  | { kind: 'report'; viewers: ViewerState[] }
  | { kind: 'failed'; error: string };

const CHILD = join(__dirname, 'sdk-viewers.ts');
/** The workspace's tsconfig: the child is TypeScript, compiled as it loads, @live-im/* by its paths. */
const TSCONFIG = join(__dirname, '../../../../tsconfig.json');

/** One child process of SDK viewers. */
export class SdkViewerProcess {
  private readonly child: ChildProcess;
  private readonly waiting: Array<{ resolve: (reply: ViewerReply) => void; reject: (error: Error) => void }> =
    [];
  private exited = false;

  constructor(readonly label: string) {
    this.child = fork(CHILD, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['-r', '@swc-node/register'],
      env: { ...process.env, SWC_NODE_PROJECT: TSCONFIG },
    });
    this.child.on('message', (reply: ViewerReply) => this.waiting.shift()?.resolve(reply));
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      for (const pending of this.waiting.splice(0)) {
        pending.reject(new Error(`${label} exited (${signal ?? code}) before answering`));
      }
    });
  }

  private ask(command: ViewerCommand): Promise<ViewerReply> {
    if (this.exited) return Promise.reject(new Error(`${this.label} has exited`));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.send(command);
    });
  }

  /** Connects and joins `count` viewers; resolves once every one has joined. */
  async join(command: ViewerJoin & { count: number; firstIndex: number }): Promise<void> {
    const reply = await this.ask({ kind: 'join', ...command });
    if (reply.kind === 'failed') throw new Error(`${this.label}: ${reply.error}`);
  }

  async report(ids: string[]): Promise<ViewerState[]> {
    const reply = await this.ask({ kind: 'report', ids });
    if (reply.kind === 'failed') throw new Error(`${this.label}: ${reply.error}`);
    if (reply.kind !== 'report') throw new Error(`${this.label} answered ${reply.kind} to a report`);
    return reply.viewers;
  }

  /** SIGTERM (the child closes its clients), SIGKILL if it is still there 5 s later. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}

/** SDK viewers spread evenly over a few child processes. */
export class ViewerFleet {
  private readonly processes: SdkViewerProcess[];

  /** Forks the processes (their viewers join with `join`; `stop` ends them, whatever their state). */
  constructor(processes: number) {
    this.processes = Array.from(
      { length: processes },
      (_, i) => new SdkViewerProcess(`viewer process ${i + 1}`),
    );
  }

  /**
   * Connects and joins `viewers` viewers, a share per process, the processes at once (each joins a
   * bounded number at a time); fails after `timeoutMs`, or when one could not join.
   */
  async join(options: ViewerJoin & { viewers: number }, timeoutMs = 120_000): Promise<void> {
    const { viewers, ...where } = options;
    const share = Math.ceil(viewers / this.processes.length);
    const joins = this.processes.map((child, i) =>
      child.join({
        ...where,
        firstIndex: i * share,
        count: Math.max(0, Math.min(share, viewers - i * share)),
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${viewers} viewers did not join in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([Promise.all(joins), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every viewer of every process, checked for `ids`. */
  async report(ids: string[]): Promise<ViewerState[]> {
    const reports = await Promise.all(this.processes.map((child) => child.report(ids)));
    return reports.flat();
  }

  /**
   * Waits until `probe` holds for a report (one every `intervalMs`) and returns that report; on a
   * timeout the error names what the last report found (`found`, when given).
   */
  async waitFor(
    ids: () => string[],
    probe: (viewers: ViewerState[]) => boolean,
    options: {
      timeoutMs: number;
      intervalMs?: number;
      what: string;
      found?: (viewers: ViewerState[]) => string;
    },
  ): Promise<ViewerState[]> {
    let last: ViewerState[] = [];
    try {
      return await waitFor(
        async () => {
          last = await this.report(ids());
          return probe(last) ? last : undefined;
        },
        { timeoutMs: options.timeoutMs, intervalMs: options.intervalMs ?? 500, what: options.what },
      );
    } catch (error) {
      if (options.found === undefined) throw error;
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}; found ${options.found(last)}`,
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((child) => child.stop()));
  }
}
