import type { Lane } from '@live-im/contracts';

/** One delivered batch of a room's lane: `body` is the JSON array as the node sent it. */
export interface RoomBatch {
  roomId: string;
  lane: Lane;
  firstSeq: number;
  lastSeq: number;
  /** Envelopes in the body; below `lastSeq - firstSeq + 1` when the node's flow control dropped some. */
  count: number;
  body: Buffer;
}

/** Seqs `fromSeq..toSeq` of a room's lane never arrived within the reorder window. */
export interface SeqGap {
  roomId: string;
  lane: Lane;
  fromSeq: number;
  toSeq: number;
}
