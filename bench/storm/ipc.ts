import { join } from 'node:path';
import { ClientProcess, replyToParent } from '../shared/client-process';

/** What bench/storm's parent and its viewer processes say to each other. */

export interface StormConnect {
  kind: 'connect';
  roomId: string;
  /** Every gateway's URL; viewer `i` of this process starts on `urls[(firstIndex + i) % urls.length]`. */
  urls: string[];
  viewers: number;
  /** This process's first viewer number over the whole run (spreads viewers and addresses). */
  firstIndex: number;
  /** Sockets leave from loopback addresses of this block (see source-address.ts). */
  sourceBlock: number;
  /** Reconnect delays as the SDK draws them: [min·(1−jitter), min], doubling up to max. */
  reconnect: { minDelayMs: number; maxDelayMs: number; jitter: number };
}

export type StormCommand =
  | StormConnect
  /** How far the viewers are; `importantThrough`: the room's latest important seq to check against. */
  | { kind: 'report'; importantThrough: number };

export interface StormViewerReport {
  viewers: number;
  /** Viewers whose gateway died, and how many of them are back in the room, with all it held. */
  rejoining: number;
  rejoined: number;
  /** When the last of them was back and complete (epoch ms), 0 while some are not. */
  lastCompleteAt: number;
  /** Where the rejoining viewers landed, by URL. */
  landed: Record<string, number>;
  /** Viewers lacking any important seq 1..importantThrough. */
  incomplete: number;
  /** Viewers' own history calls for a gap they saw (the SDK's last resort). */
  historyPulls: Record<'gap' | 'rejoin', number>;
  /** Connection or join attempts that failed and were retried. */
  retries: number;
  /** Why those attempts failed (an error code or message), by reason. */
  failures: Record<string, number>;
  /** Sockets that closed under a viewer already rejoined (it had to rejoin again). */
  closedAgain: number;
}

export type StormReply =
  | { kind: 'connected'; viewers: number }
  | { kind: 'report'; report: StormViewerReport };

export type StormViewer = ClientProcess<StormCommand, StormReply>;

export function forkViewer(label: string): StormViewer {
  return ClientProcess.fork<StormCommand, StormReply>(join(__dirname, 'viewer.js'), label);
}

export function reply(message: StormReply): void {
  replyToParent(message);
}
