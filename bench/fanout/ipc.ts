import { join } from 'node:path';
import { ClientProcess, replyToParent } from '../shared/client-process';

export { cpuMsSince, exitWithParent } from '../shared/client-process';

/**
 * What the bench's parent and its client processes say to each other over the fork IPC channel,
 * and the one helper both ends use to ask and await an answer.
 */

/** Which server the clients talk to: our gateway (`batch` events) or the plain Socket.IO server (`message`). */
export type ServerFlavor = 'ours' | 'plain';

/** Per message type: chat rides the normal lane, gifts the important one. */
export type BenchMessageType = 'chat' | 'gift';
export const BENCH_MESSAGE_TYPES: readonly BenchMessageType[] = ['chat', 'gift'];

export type { HistogramJson } from '../shared/latency-histogram';
import type { HistogramJson } from '../shared/latency-histogram';

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
  /** Sockets leave from loopback addresses of this block (see source-address.ts). */
  sourceBlock: number;
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

export type FanoutClient = ClientProcess<ChildCommand, ChildReply>;

/** Forks a fanout client script (viewer.js, sender.js) compiled next to this file. */
export function forkClient(script: string, label: string): FanoutClient {
  return ClientProcess.fork<ChildCommand, ChildReply>(join(__dirname, script), label);
}

/** In a child: answer the parent. */
export function reply(message: ChildReply): void {
  replyToParent(message);
}
