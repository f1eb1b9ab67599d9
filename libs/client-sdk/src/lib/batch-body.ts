import { type BatchInfo, ErrorCode, RoomMessage } from '@live-im/contracts';
import { LiveError } from './live-error';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a binary attachment: an ArrayBuffer in browsers, a Buffer (a Uint8Array) in Node. */
function bytesOf(body: unknown): Uint8Array | undefined {
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return undefined;
}

function malformed(info: BatchInfo, why: string): LiveError {
  return new LiveError(
    ErrorCode.INTERNAL,
    `malformed ${info.lane} batch ${info.firstSeq}..${info.lastSeq} of ${info.roomId}: ${why}`,
    {
      roomId: info.roomId,
      lane: info.lane,
      firstSeq: info.firstSeq,
      lastSeq: info.lastSeq,
    },
  );
}

/**
 * A batch body as messages: UTF-8 JSON array of RoomMessage, each of the batch's room and lane
 * with a seq inside the batch's range. Throws LiveError (INTERNAL) naming what is wrong.
 */
export function decodeBatchBody(info: BatchInfo, body: unknown): RoomMessage[] {
  // The gateway sends the JSON text; binary bodies (UTF-8 bytes) are read too.
  const bytes = typeof body === 'string' ? undefined : bytesOf(body);
  if (typeof body !== 'string' && bytes === undefined)
    throw malformed(info, 'the body is neither text nor binary');
  let values: unknown;
  try {
    values = JSON.parse(typeof body === 'string' ? body : utf8.decode(bytes as Uint8Array));
  } catch {
    throw malformed(info, 'the body is not UTF-8 JSON');
  }
  if (!Array.isArray(values)) throw malformed(info, 'the body is not an array');
  const messages: RoomMessage[] = [];
  for (const value of values) {
    const parsed = RoomMessage.safeParse(value);
    if (!parsed.success)
      throw malformed(
        info,
        `an entry is not a RoomMessage (${parsed.error.issues[0]?.message ?? 'invalid'})`,
      );
    const message = parsed.data;
    if (message.roomId !== info.roomId || message.lane !== info.lane)
      throw malformed(info, `message ${message.id} belongs elsewhere`);
    if (message.seq < info.firstSeq || message.seq > info.lastSeq)
      throw malformed(info, `seq ${message.seq} is outside the batch`);
    messages.push(message);
  }
  return messages;
}
