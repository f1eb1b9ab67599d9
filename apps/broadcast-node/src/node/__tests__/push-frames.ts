import { bcastHeader, BroadcastCommand, encodeMessageMeta, LaneCode, packPairs } from '@live-im/broadcast';

/** One message as a test publishes it. */
export interface TestMessage {
  roomId: string;
  lane: 'normal' | 'important';
  seq: number;
  body?: string;
  /** The request id a publisher may add to the meta. */
  traceId?: string;
}

/** The PUSH frames of a batch of messages, as a publisher sends them. */
export function pushFrames(messages: TestMessage[]): Buffer[] {
  const parts: Buffer[] = [];
  for (const m of messages) {
    parts.push(
      encodeMessageMeta({
        roomId: m.roomId,
        lane: m.lane === 'important' ? LaneCode.important : LaneCode.normal,
        seq: m.seq,
        traceId: m.traceId,
      }),
      Buffer.from(m.body ?? JSON.stringify({ seq: m.seq, lane: m.lane })),
    );
  }
  return [bcastHeader(BroadcastCommand.PUBLISH), packPairs(parts)];
}

export function normal(roomId: string, seq: number): TestMessage {
  return { roomId, lane: 'normal', seq };
}

export function important(roomId: string, seq: number): TestMessage {
  return { roomId, lane: 'important', seq };
}
