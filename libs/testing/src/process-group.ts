import { AppProcess, SpawnAppOptions } from './app-process';

/**
 * The app processes one cluster (a test's or a bench's) spawned: each tracked from the moment it
 * is spawned, so a start that times out is still torn down, stopped or killed together, and
 * killed with SIGKILL if the runner itself exits first, so no process outlives a dead jest run.
 */
export class ProcessGroup {
  private readonly processes: AppProcess[] = [];
  private readonly killOnExit = () => {
    for (const proc of this.processes) if (proc.running) proc.child.kill('SIGKILL');
  };

  constructor() {
    process.once('exit', this.killOnExit);
  }

  /** Spawns a built app and waits until it is ready (`readyTimeoutMs`, default 20 s). */
  async start(app: string, options: SpawnAppOptions): Promise<AppProcess> {
    const proc = await AppProcess.start(app, { ...options, waitReady: false });
    this.processes.push(proc);
    await proc.waitReady(options.readyTimeoutMs ?? 20_000);
    return proc;
  }

  /** kill -9 of every process at once. */
  async killAll(): Promise<void> {
    await Promise.allSettled(this.processes.map((proc) => proc.kill()));
    process.removeListener('exit', this.killOnExit);
  }

  /** SIGTERM one by one, last started first, so no app logs its peers vanishing. */
  async stopAll(timeoutMs: number): Promise<void> {
    for (const proc of [...this.processes].reverse()) await proc.stop(timeoutMs);
    process.removeListener('exit', this.killOnExit);
  }
}
