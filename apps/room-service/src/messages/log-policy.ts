import { Lane } from '@live-im/contracts';

/** How much of a lane's log Redis keeps: the newest `maxLen` messages, for `ttlMs` after the last one. */
export interface LaneLogPolicy {
  maxLen: number;
  ttlMs: number;
}

export type LogPolicy = Readonly<Record<Lane, LaneLogPolicy>>;
