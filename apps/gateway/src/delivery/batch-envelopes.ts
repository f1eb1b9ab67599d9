import type { RoomBatch } from '@live-im/broadcast';
import { type BatchInfo, Receipt, RoomMessage, SystemEvent } from '@live-im/contracts';

/**
 * Reading envelopes out of a batch body, for the batches the gateway acts on (important room
 * batches and user channels; normal batches are never parsed). Bodies come from room-service
 * through the cluster, but a malformed one is still counted and skipped, never thrown.
 */
export function parseBatchBody(body: Buffer): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** What a room batch asks of the gateway, found with a cheap look before any full parse. */
export function needsAction(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const envelope = value as { type?: unknown; requireAck?: unknown };
  return envelope.type === 'system' || envelope.requireAck === true;
}

export function asRoomMessage(value: unknown): RoomMessage | undefined {
  const parsed = RoomMessage.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The `body.event` of a system message, or undefined for any other message. */
export function systemEventOf(message: RoomMessage): string | undefined {
  if (message.type !== 'system') return undefined;
  const event = message.body['event'];
  return typeof event === 'string' ? event : undefined;
}

/** `body.reason` of a kick or room_closed, with a fallback a client can show. */
export function reasonOf(message: RoomMessage, fallback: string): string {
  const reason = message.body['reason'];
  return typeof reason === 'string' && reason.length > 0 ? reason.slice(0, 256) : fallback;
}

/** `body.receipt` of a receipt system message, when it is one. */
export function receiptOf(message: RoomMessage): Receipt | undefined {
  if (systemEventOf(message) !== SystemEvent.receipt) return undefined;
  const parsed = Receipt.safeParse(message.body['receipt']);
  return parsed.success ? parsed.data : undefined;
}

export function batchInfoOf(batch: RoomBatch): BatchInfo {
  return {
    roomId: batch.roomId,
    lane: batch.lane,
    firstSeq: batch.firstSeq,
    lastSeq: batch.lastSeq,
    count: batch.count,
  };
}

/**
 * The part of a batch past `afterSeq` as a batch of its own (re-encoded: only for the few batches
 * that straddle a joining socket's answer), or undefined when the body is malformed.
 */
export function trimBatch(batch: RoomBatch, afterSeq: number): RoomBatch | undefined {
  const values = parseBatchBody(batch.body);
  if (values === undefined) return undefined;
  const kept = values.filter((value) => {
    const seq = (value as { seq?: unknown } | null)?.seq;
    return typeof seq === 'number' && seq > afterSeq;
  });
  return {
    roomId: batch.roomId,
    lane: batch.lane,
    firstSeq: afterSeq + 1,
    lastSeq: batch.lastSeq,
    count: kept.length,
    body: Buffer.from(JSON.stringify(kept)),
  };
}
