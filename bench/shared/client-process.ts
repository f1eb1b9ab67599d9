import { ChildProcess, fork } from 'node:child_process';

/**
 * A bench's parent and its forked client processes (viewers, senders) talk over the fork IPC
 * channel: each command gets one reply, in order. Commands and replies are tagged by `kind`; a
 * reply `{ kind: 'failed', error }` rejects the question it answers.
 */
export interface Tagged {
  kind: string;
}

export interface FailedReply {
  kind: 'failed';
  error: string;
}

export class ClientProcess<Command extends Tagged, Reply extends Tagged> {
  private readonly waiting: Array<{ resolve: (reply: Reply) => void; reject: (error: Error) => void }> = [];

  private constructor(
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    child.on('message', (reply: Reply | FailedReply) => {
      const next = this.waiting.shift();
      if (!next) return;
      if (reply.kind === 'failed') next.reject(new Error(`${label}: ${(reply as FailedReply).error}`));
      else next.resolve(reply as Reply);
    });
    child.once('exit', (code, signal) => {
      for (const pending of this.waiting.splice(0)) {
        pending.reject(new Error(`${label} exited (${signal ?? code}) before answering`));
      }
    });
  }

  /** Forks the compiled `script` (an absolute path) with the given node flags. */
  static fork<C extends Tagged, R extends Tagged>(
    script: string,
    label: string,
    execArgv: string[] = [],
  ): ClientProcess<C, R> {
    const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    return new ClientProcess<C, R>(child, label);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  ask<K extends Reply['kind']>(command: Command, expect: K): Promise<Extract<Reply, { kind: K }>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        resolve: (reply) =>
          reply.kind === expect
            ? resolve(reply as Extract<Reply, { kind: K }>)
            : reject(new Error(`${this.label} answered ${reply.kind} to ${command.kind}`)),
        reject,
      });
      this.child.send(command);
    });
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

/** SIGTERM, then SIGKILL if it is still there 5 s later; resolves once it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** In a child: answer the parent. */
export function replyToParent(message: Tagged): void {
  process.send?.(message);
}

/** In a child: leave when the parent goes away, so no client process outlives a run. */
export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

/** CPU ms (user + system) of this process since `since` (a process.cpuUsage() value). */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
