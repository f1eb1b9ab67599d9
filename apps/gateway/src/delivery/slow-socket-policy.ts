import type { Lane } from '@live-im/contracts';

export interface SlowSocketLimits {
  /** Queued packets past which a socket is skipped for a normal batch. */
  slowSocketPackets: number;
  /** Queued packets past which a socket is disconnected rather than sent an important batch. */
  importantBacklogPackets: number;
}

/** What to do with one socket for one batch. */
export type BatchAction = 'write' | 'skip' | 'disconnect';

/**
 * Flow control at the gateway's edge (slow consumers): a socket whose write buffer is
 * full misses normal batches (the client sees the seq gap and may pull history) but is never
 * skipped on the important lane; one that falls that far behind on important is cut off, and
 * recovers by reconnecting and joining with `resume`.
 */
export class SlowSocketPolicy {
  constructor(private readonly limits: SlowSocketLimits) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`SlowSocketPolicy: ${name} must be a positive integer`);
    }
  }

  /** `backlog`: packets the socket's engine has not written out yet. */
  actionFor(lane: Lane, backlog: number): BatchAction {
    if (lane === 'important') return backlog > this.limits.importantBacklogPackets ? 'disconnect' : 'write';
    return backlog > this.limits.slowSocketPackets ? 'skip' : 'write';
  }
}
