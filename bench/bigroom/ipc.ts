import { join } from 'node:path';
import { ClientProcess, replyToParent } from '../shared/client-process';
import type { HistogramJson } from '../shared/latency-histogram';

/** What bench/bigroom's parent and its viewer processes say to each other. */

/** One server's share of a viewer process's sockets. */
export interface ServerShare {
  url: string;
  count: number;
}

export interface BigroomConnect {
  kind: 'connect';
  roomId: string;
  servers: ServerShare[];
  /** Sockets leave from loopback addresses of this block (see source-address.ts). */
  sourceBlock: number;
  /** Every n-th socket also parses the body of every normal batch (1: all of them). */
  parseNormalEvery: number;
}

export type BigroomCommand = BigroomConnect | { kind: 'reset' } | { kind: 'progress' } | { kind: 'report' };

/** One viewer process's counters since its last reset. */
export interface BigroomViewerReport {
  sockets: number;
  connected: number;
  /** Websocket frames received (every engine.io packet: batches, online counts, pings). */
  frames: number;
  bytes: number;
  /** Important messages delivered, summed over sockets (every socket parses important bodies). */
  important: number;
  /** Normal messages delivered (from batch info counts). */
  normal: number;
  /** Seqs missing between consecutive batches of one lane on one socket. */
  gaps: Record<'normal' | 'important', number>;
  /** Push → receive of important messages, every socket. */
  importantLatency: HistogramJson;
  disconnects: Record<string, number>;
  cpuMs: number;
}

export type BigroomReply =
  | { kind: 'connected'; sockets: number }
  | { kind: 'reset' }
  | { kind: 'progress'; important: number; frames: number }
  | { kind: 'report'; report: BigroomViewerReport };

export type BigroomViewer = ClientProcess<BigroomCommand, BigroomReply>;

/** Forks a viewer process; its sockets need a file each, so it gets the room it asks for. */
export function forkViewer(label: string): BigroomViewer {
  return ClientProcess.fork<BigroomCommand, BigroomReply>(join(__dirname, 'viewer.js'), label);
}

export function reply(message: BigroomReply): void {
  replyToParent(message);
}
