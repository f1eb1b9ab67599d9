import {
  bcastHeader,
  BroadcastCommand,
  encodeMessageMeta,
  encodeRun,
  LaneCode,
  packPairs,
} from '@live-im/broadcast';
import type { Lane } from '@live-im/contracts';

/** One message as a test publishes it. */
export interface TestMessage {
  roomId: string;
  lane: Lane;
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

/**
 * The same messages as a PUBLISH_RUNS message: each stretch of adjacent messages of one room lane
 * with consecutive seqs becomes one run, so the node reads them in exactly the order given.
 */
export function runFrames(messages: TestMessage[]): Buffer[] {
  const parts: Buffer[] = [];
  let i = 0;
  while (i < messages.length) {
    const first = messages[i];
    const run = [first];
    for (let next = messages[i + run.length]; next !== undefined; next = messages[i + run.length]) {
      const last = run[run.length - 1];
      if (next.roomId !== first.roomId || next.lane !== first.lane || next.seq !== last.seq + 1) break;
      run.push(next);
    }
    i += run.length;
    const traced = run.some((m) => m.traceId !== undefined);
    parts.push(
      ...encodeRun(
        {
          roomId: first.roomId,
          lane: first.lane === 'important' ? LaneCode.important : LaneCode.normal,
          firstSeq: first.seq,
          traceIds: traced ? run.map((m) => m.traceId ?? '') : undefined,
        },
        run.map((m) => Buffer.from(m.body ?? JSON.stringify({ seq: m.seq, lane: m.lane }))),
      ),
    );
  }
  return [bcastHeader(BroadcastCommand.PUBLISH_RUNS), packPairs(parts)];
}
