/** A relay's monotonic counts. */
export interface RelayCounters {
  /** Batch frames read from upstream nodes and the messages they held. */
  batchesIn: number;
  msgsIn: number;
  /** Batch frames handed to the downstream XPUB and their messages. */
  batchesOut: number;
  msgsOut: number;
  /** Upstream messages that were not a 3-frame batch; dropped. */
  malformed: number;
  /** Subscribe / unsubscribe frames sent upstream. */
  upstreamSubscribes: number;
  upstreamUnsubscribes: number;
  sendFailures: number;
}

export function emptyRelayCounters(): RelayCounters {
  return {
    batchesIn: 0,
    msgsIn: 0,
    batchesOut: 0,
    msgsOut: 0,
    malformed: 0,
    upstreamSubscribes: 0,
    upstreamUnsubscribes: 0,
    sendFailures: 0,
  };
}
