/** The broadcast node's monotonic counts; metrics and heartbeats read them, the hot path only adds. */
export interface NodeCounters {
  /** Well-formed messages read from PULL, whatever became of them. */
  msgsIn: number;
  importantIn: number;
  normalIn: number;
  /** Messages published in frames, per lane and in all. */
  msgsOut: number;
  importantOut: number;
  normalOut: number;
  batchesOut: number;
  importantBatches: number;
  normalBatches: number;
  /** Normal messages over the room's per-second cap. */
  droppedCap: number;
  /** Messages for rooms without subscribers on this node. */
  noSubscriber: number;
  /** PULL messages with bad frames or batch, and messages with a bad meta or an empty body. */
  malformed: number;
  /** Frames the XPUB socket refused. */
  sendFailures: number;
  /** Messages that arrived ahead of a missing seq of their room lane and waited for it. */
  outOfOrder: number;
  /** Missing seqs the node stopped waiting for (hold expired, too many waiting, ownership lost). */
  reorderGaps: number;
  /**
   * Seqs inside those gaps: of a room, never published by this node, readable through history; of
   * a user channel, published on their own if they still come (`channelLate`).
   */
  reorderSkippedSeqs: number;
  /** Room messages behind their lane's next seq (late after a gap was given up, or repeated), and repeats of a waiting seq: dropped. */
  late: number;
  /**
   * User-channel messages behind their channel's next seq (late after a gap was given up):
   * published on their own, out of order, since a channel has no history to refill them from.
   */
  channelLate: number;
  /** Messages still queued for the XPUB when close() stopped waiting for it (graceful stop): dropped. */
  droppedShutdown: number;
}

export function emptyNodeCounters(): NodeCounters {
  return {
    msgsIn: 0,
    importantIn: 0,
    normalIn: 0,
    msgsOut: 0,
    importantOut: 0,
    normalOut: 0,
    batchesOut: 0,
    importantBatches: 0,
    normalBatches: 0,
    droppedCap: 0,
    noSubscriber: 0,
    malformed: 0,
    sendFailures: 0,
    outOfOrder: 0,
    reorderGaps: 0,
    reorderSkippedSeqs: 0,
    late: 0,
    channelLate: 0,
    droppedShutdown: 0,
  };
}
