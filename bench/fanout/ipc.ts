import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

/**
 * What the bench's parent and its client processes say to each other over the fork IPC channel,
 * and the one helper both ends use to ask and await an answer.
 */

/** Which server the clients talk to: our gateway (`batch` events) or the plain Socket.IO server (`message`). */
export type ServerFlavor = 'ours' | 'plain';

/** Per message type: chat rides the normal lane, gifts the important one. */
export type BenchMessageType = 'chat' | 'gift';
export const BENCH_MESSAGE_TYPES: readonly BenchMessageType[] = ['chat', 'gift'];

export interface HistogramJson {
  counts: number[];
  maxMs: number;
}

/** One viewer process's counters since its last reset. */
export interface ViewerReport {
  sockets: number;
  /** Messages delivered, summed over every socket of the process. */
  delivered: Record<BenchMessageType, number>;
  /** Socket.IO events received that carried them (a `batch` holds many messages; `message` one). */
  events: number;
  /** Seqs a batch says flow control left out on purpose, summed over sockets (ours only). */
  flowControlDropped: number;
  /** Seqs missing between consecutive deliveries on one socket, summed over sockets. */
  gaps: number;
  /** Sockets that closed since the reset, by Socket.IO's reason ("ping timeout", "transport close"...). */
  disconnects: Record<string, number>;
  /** Sockets connected at the reset and when the report was made. */
  connectedAtReset: number;
  connected: number;
  /** Sender → receiver latency per type, from the probe sockets. */
  latency: Record<BenchMessageType, HistogramJson>;
  /** Server stamp (`ts`) → receiver, from the probe sockets. */
  fromServerStamp: Record<BenchMessageType, HistogramJson>;
  /** CPU this process used since the reset, in ms (user + system). */
  cpuMs: number;
  /** Wall-clock ms of the last delivery (0 if none). */
  lastDeliveryAt: number;
  /** Bytes and count of the messages the probes parsed (ours: batch bodies; plain: messages as JSON). */
  probeBytes: number;
  probeMessages: number;
}

export interface SenderReport {
  sent: Record<BenchMessageType, number>;
  acked: Record<BenchMessageType, number>;
  /** Failed acks by error code (and `timeout` for none within the deadline). */
  errors: Record<string, number>;
  ackLatency: Record<BenchMessageType, HistogramJson>;
  cpuMs: number;
  seconds: number;
}

export interface ConnectCommand {
  kind: 'connect';
  flavor: ServerFlavor;
  url: string;
  roomId: string;
  /** One socket per token; `null` connects an anonymous viewer. */
  tokens: Array<string | null>;
  /** How many of the sockets parse every message for latency (the rest count only). */
  probes: number;
}

export interface SendCommand {
  kind: 'send';
  seconds: number;
  chatPerSec: number;
  giftPerSec: number;
  giftIds: string[];
}

export type ChildCommand =
  | ConnectCommand
  | SendCommand
  | { kind: 'reset' }
  | { kind: 'progress' }
  | { kind: 'report' };

export type ChildReply =
  | { kind: 'connected'; sockets: number }
  | { kind: 'progress'; delivered: number; lastDeliveryAt: number }
  | { kind: 'reset' }
  | { kind: 'report'; report: ViewerReport }
  | { kind: 'sent'; report: SenderReport }
  | { kind: 'failed'; error: string };

/**
 * A forked client process (viewer or sender) that answers each command with one reply, in order.
 */
export class ClientProcess {
  private readonly waiting: Array<{ resolve: (reply: ChildReply) => void; reject: (error: Error) => void }> =
    [];

  private constructor(
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    child.on('message', (reply: ChildReply) => {
      const next = this.waiting.shift();
      if (!next) return;
      if (reply.kind === 'failed') next.reject(new Error(`${label}: ${reply.error}`));
      else next.resolve(reply);
    });
    child.once('exit', (code, signal) => {
      for (const pending of this.waiting.splice(0)) {
        pending.reject(new Error(`${label} exited (${signal ?? code}) before answering`));
      }
    });
  }

  /** Forks the compiled `script` next to this file. */
  static fork(script: string, label: string): ClientProcess {
    const child = fork(join(__dirname, script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new ClientProcess(child, label);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  ask<K extends ChildReply['kind']>(
    command: ChildCommand,
    expect: K,
  ): Promise<Extract<ChildReply, { kind: K }>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        resolve: (reply) =>
          reply.kind === expect
            ? resolve(reply as Extract<ChildReply, { kind: K }>)
            : reject(new Error(`${this.label} answered ${reply.kind} to ${command.kind}`)),
        reject,
      });
      this.child.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** In a child: answer the parent, and leave when it goes away so no client process outlives a run. */
export function reply(message: ChildReply): void {
  process.send?.(message);
}

export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

/** CPU ms (user + system) of this process since `since` (a process.cpuUsage() value). */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}
