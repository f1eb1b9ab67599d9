import { Receipt, RoomMessage, SystemEvent } from '@live-im/contracts';
import { batchInfoOf, type TextBatch } from '../socket/batch-event';
import { OutEvent } from '../socket/event-frames';

/**
 * Reading envelopes out of a batch body, for the batches the gateway acts on (important room
 * batches and user channels; normal batches are never parsed). Bodies come from room-service
 * through the cluster, but a malformed one is still counted and skipped, never thrown.
 */
export function parseBatchBody(body: string): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(body);
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

/** A batch as its `batch` event, whose frame is built once however many sockets get it. */
export function batchEvent(batch: TextBatch): OutEvent {
  return OutEvent.of('batch', batchInfoOf(batch), batch.body);
}

/**
 * `next` appended to `earlier` as one batch, when they are consecutive batches of one room lane
 * (`next` starts right after `earlier`) and both bodies are JSON arrays; otherwise undefined. The
 * bodies are spliced as text, never parsed.
 */
export function joinBatches(earlier: TextBatch, next: TextBatch): TextBatch | undefined {
  if (earlier.roomId !== next.roomId || earlier.lane !== next.lane) return undefined;
  if (next.firstSeq !== earlier.lastSeq + 1) return undefined;
  if (!isArrayText(earlier.body) || !isArrayText(next.body)) return undefined;
  let body: string;
  if (earlier.body.length === 2) body = next.body;
  else if (next.body.length === 2) body = earlier.body;
  else body = `${earlier.body.slice(0, -1)},${next.body.slice(1)}`;
  return {
    roomId: earlier.roomId,
    lane: earlier.lane,
    firstSeq: earlier.firstSeq,
    lastSeq: next.lastSeq,
    count: earlier.count + next.count,
    body,
  };
}

function isArrayText(body: string): boolean {
  return body.length >= 2 && body.charCodeAt(0) === 0x5b && body.charCodeAt(body.length - 1) === 0x5d;
}

/**
 * The part of a batch past `afterSeq` as a batch of its own (re-encoded: only for the few batches
 * that straddle a joining socket's answer), or undefined when the body is malformed.
 */
export function trimBatch(batch: TextBatch, afterSeq: number): TextBatch | undefined {
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
    body: JSON.stringify(kept),
  };
}
