import type { Lane, MessageType, RoomMessage } from '@live-im/contracts';

/** A valid room message of `roomId`'s lane at `seq`. */
export function message(
  lane: Lane,
  seq: number,
  extra: Partial<RoomMessage> & { type?: MessageType } = {},
  roomId = 'room-1',
): RoomMessage {
  return {
    id: `${roomId}-${lane}-${seq}`,
    roomId,
    lane,
    seq,
    type: lane === 'important' ? 'gift' : 'chat',
    from: { userId: 'u_sender01', nickname: 'sender', level: 1 },
    body: { n: seq },
    ts: 1_700_000_000_000 + seq,
    ...extra,
  };
}

/** Messages for each seq of `seqs`. */
export function messages(lane: Lane, seqs: readonly number[], roomId = 'room-1'): RoomMessage[] {
  return seqs.map((seq) => message(lane, seq, {}, roomId));
}

/** Every seq from first to last. */
export function run(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

/** A batch body as the gateway sends it in Node: a Buffer of the JSON array. */
export function body(list: readonly RoomMessage[]): Buffer {
  return Buffer.from(JSON.stringify(list));
}
