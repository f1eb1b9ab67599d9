import type { RoomBatch } from '@live-im/broadcast';
import type { BatchInfo } from '@live-im/contracts';

/**
 * A room batch as the gateway sends it: the node's body decoded to text once per gateway, so that
 * it goes out as one text packet (the `batch` event: its info and the body as a string), whose
 * WebSocket frame is built once for all the sockets it goes to (event-frames.ts).
 */
export interface TextBatch extends BatchInfo {
  body: string;
}

export function textBatchOf(batch: RoomBatch): TextBatch {
  return { ...batchInfoOf(batch), body: batch.body.toString('utf8') };
}

export function batchInfoOf(batch: BatchInfo): BatchInfo {
  return {
    roomId: batch.roomId,
    lane: batch.lane,
    firstSeq: batch.firstSeq,
    lastSeq: batch.lastSeq,
    count: batch.count,
  };
}
