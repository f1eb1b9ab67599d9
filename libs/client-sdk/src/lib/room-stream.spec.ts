import type { BatchInfo, HistoryResult, JoinResult, Lane, RoomMessage } from '@live-im/contracts';
import type { HistoryPage } from './history-pull';
import type { GapEvent } from './lane-cursor';
import type { LiveError } from './live-error';
import { BEACON_GRACE_MS, RoomStream } from './room-stream';
import { body, message, messages, run } from './__tests__/messages';

const flush = async () => {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** An in-memory room log answering history like room-service (oldest kept per lane). */
class FakeLog {
  readonly calls: Array<{ lane: Lane; afterSeq: number; limit: number }> = [];
  failNext = false;
  constructor(
    readonly latest: Record<Lane, number>,
    readonly oldest: Record<Lane, number> = { normal: 1, important: 1 },
  ) {}

  readonly page: HistoryPage = async (lane, afterSeq, limit): Promise<HistoryResult> => {
    this.calls.push({ lane, afterSeq, limit });
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failNext) {
      this.failNext = false;
      throw Object.assign(new Error('no worker'), { code: 'SERVICE_UNAVAILABLE', message: 'no worker' });
    }
    const from = Math.max(afterSeq + 1, this.oldest[lane]);
    const seqs = run(from, Math.min(this.latest[lane], from + limit - 1));
    return {
      roomId: 'room-1',
      lane,
      messages: messages(lane, seqs),
      latestSeq: this.latest[lane],
      oldestSeq: this.oldest[lane],
    };
  };
}

function stream(log: FakeLog) {
  const delivered: RoomMessage[] = [];
  const repeated: RoomMessage[] = [];
  const gaps: GapEvent[] = [];
  const errors: LiveError[] = [];
  const room = new RoomStream('room-1', log.page, {
    deliver: (m) => delivered.push(m),
    repeated: (m) => repeated.push(m),
    gap: (g) => gaps.push(g),
    error: (e) => errors.push(e),
  });
  const seqs = (lane: Lane) => delivered.filter((m) => m.lane === lane).map((m) => m.seq);
  return { room, delivered, repeated, gaps, errors, seqs };
}

function joinResult(seqs: Record<Lane, number>, missed: JoinResult['missed'] = null): JoinResult {
  return {
    room: {
      roomId: 'room-1',
      title: 't',
      ownerId: 'u_owner001',
      status: 'open',
      createdAt: 1,
      closedAt: null,
    },
    online: { roomId: 'room-1', count: 1, peak: 1, viewersEver: 1 },
    seqs,
    recent: { important: [], normal: [] },
    missed,
  };
}

function batch(
  lane: Lane,
  first: number,
  last: number,
  seqs: readonly number[] = run(first, last),
): [BatchInfo, Buffer] {
  return [
    { roomId: 'room-1', lane, firstSeq: first, lastSeq: last, count: seqs.length },
    body(messages(lane, seqs)),
  ];
}

describe('RoomStream', () => {
  it('holds batches that come before the join answer and continues from the answer seqs', () => {
    const s = stream(new FakeLog({ normal: 0, important: 0 }));
    s.room.batch(...batch('important', 6, 7));
    s.room.batch(...batch('normal', 11, 12));
    expect(s.delivered).toEqual([]);
    s.room.applyJoin(joinResult({ normal: 10, important: 5 }), false);
    expect(s.seqs('important')).toEqual([6, 7]);
    expect(s.seqs('normal')).toEqual([11, 12]);
    expect(s.room.seqs).toEqual({ normal: 12, important: 7 });
  });

  it('drops duplicate batches and overlaps', () => {
    const s = stream(new FakeLog({ normal: 0, important: 0 }));
    s.room.applyJoin(joinResult({ normal: 0, important: 0 }), false);
    s.room.batch(...batch('important', 1, 3));
    s.room.batch(...batch('important', 1, 3));
    s.room.batch(...batch('important', 2, 4));
    s.room.roomMessage(message('important', 4, { requireAck: true }));
    expect(s.seqs('important')).toEqual([1, 2, 3, 4]);
    expect(s.repeated.map((m) => m.seq)).toEqual([1, 2, 3, 2, 3, 4]);
  });

  it('never pulls flow-control holes inside normal batches', async () => {
    const log = new FakeLog({ normal: 100, important: 0 });
    const s = stream(log);
    s.room.applyJoin(joinResult({ normal: 0, important: 0 }), false);
    s.room.batch(...batch('normal', 1, 50, [1, 20, 50]));
    s.room.batch(...batch('normal', 51, 100, [77]));
    await flush();
    expect(s.seqs('normal')).toEqual([1, 20, 50, 77]);
    expect(log.calls).toEqual([]);
    expect(s.gaps).toEqual([]);
  });

  it('fills gaps between batches from history, important first, each lane in order', async () => {
    const log = new FakeLog({ normal: 30, important: 30 });
    const s = stream(log);
    s.room.applyJoin(joinResult({ normal: 10, important: 10 }), false);
    // The normal gap is seen first, yet the important one is pulled before it is.
    s.room.batch(...batch('normal', 11, 12));
    s.room.batch(...batch('normal', 20, 21));
    s.room.batch(...batch('important', 11, 11));
    s.room.batch(...batch('important', 15, 16));
    s.room.batch(...batch('important', 25, 25));
    s.room.batch(...batch('normal', 22, 22));
    expect(s.seqs('normal')).toEqual([11, 12]);
    expect(s.seqs('important')).toEqual([11]);
    await flush();
    expect(log.calls.map((c) => [c.lane, c.afterSeq])).toEqual([
      ['normal', 12],
      ['important', 11],
      ['important', 16],
    ]);
    // The normal pull was already running when the important gaps came; both important gaps
    // went before anything else queued behind it.
    expect(s.seqs('important')).toEqual(run(11, 25));
    expect(s.seqs('normal')).toEqual(run(11, 22));
    expect(s.gaps).toEqual(
      expect.arrayContaining([
        { lane: 'normal', fromSeq: 13, toSeq: 19, recovered: true },
        { lane: 'important', fromSeq: 12, toSeq: 14, recovered: true },
        { lane: 'important', fromSeq: 17, toSeq: 24, recovered: true },
      ]),
    );
  });

  it('pulls the important lane first when both lanes have gaps at once', async () => {
    const log = new FakeLog({ normal: 50, important: 50 });
    const s = stream(log);
    s.room.applyJoin(joinResult({ normal: 0, important: 0 }), false);
    s.room.suspend();
    // Both lanes gapped while a rejoin is answered, the normal one first.
    s.room.batch(...batch('normal', 40, 40));
    s.room.batch(...batch('important', 30, 30));
    s.room.applyJoin(joinResult({ normal: 0, important: 0 }), true);
    await flush();
    expect(log.calls.map((c) => c.lane)).toEqual(['important', 'normal']);
    expect(s.seqs('important')).toEqual(run(1, 30));
    expect(s.seqs('normal')).toEqual(run(1, 40));

    // A resume whose answer left both lanes short: the important lane is paged and delivered first.
    const order: string[] = [];
    const log2 = new FakeLog({ normal: 50, important: 50 });
    const room = new RoomStream('room-1', log2.page, {
      deliver: (m) => order.push(`${m.lane[0]}${m.seq}`),
      repeated: () => undefined,
      gap: () => undefined,
      error: () => undefined,
    });
    room.applyJoin(joinResult({ normal: 0, important: 0 }), false);
    room.suspend();
    room.applyJoin(
      joinResult({ normal: 3, important: 2 }, { important: [], normal: [], complete: false }),
      true,
    );
    await flush();
    expect(log2.calls.map((c) => c.lane)).toEqual(['important', 'normal']);
    expect(order).toEqual(['i1', 'i2', 'n1', 'n2', 'n3']);
  });

  it('resumes: missed important first, then normal, then pages on with history up to the answer seqs', async () => {
    const log = new FakeLog({ normal: 400, important: 40 });
    const s = stream(log);
    s.room.applyJoin(joinResult({ normal: 5, important: 5 }), false);
    s.room.batch(...batch('important', 6, 6));
    s.room.suspend();
    // Live batches of the new connection arrive before its join answer.
    s.room.batch(...batch('important', 41, 42));
    s.room.batch(...batch('normal', 401, 401));
    const missed = {
      important: messages('important', run(7, 20)),
      normal: messages('normal', run(6, 105)),
      complete: false,
    };
    expect(s.room.resumePoint()).toEqual({ normalSeq: 5, importantSeq: 6 });
    s.room.applyJoin(joinResult({ normal: 400, important: 40 }, missed), true);
    expect(s.seqs('important')).toEqual(run(6, 20));
    expect(s.seqs('normal')).toEqual(run(6, 105));
    await flush();
    expect(s.seqs('important')).toEqual(run(6, 42));
    expect(s.seqs('normal')).toEqual(run(6, 401));
    expect(log.calls).toEqual([
      { lane: 'important', afterSeq: 20, limit: 20 },
      { lane: 'normal', afterSeq: 105, limit: 200 },
      { lane: 'normal', afterSeq: 305, limit: 95 },
    ]);
    expect(s.repeated).toEqual([]);
  });

  it('reports a range the log no longer holds as not recovered', async () => {
    const log = new FakeLog({ normal: 0, important: 500 }, { normal: 1, important: 400 });
    const s = stream(log);
    s.room.applyJoin(joinResult({ normal: 0, important: 100 }), false);
    s.room.suspend();
    const missed = { important: messages('important', run(400, 500)), normal: [], complete: true };
    s.room.applyJoin(joinResult({ normal: 0, important: 500 }, missed), true);
    await flush();
    expect(s.gaps).toEqual([{ lane: 'important', fromSeq: 101, toSeq: 399, recovered: false }]);
    expect(s.seqs('important')).toEqual(run(400, 500));
  });

  it('a malformed body is an error and its range is pulled from history', async () => {
    const log = new FakeLog({ normal: 0, important: 3 });
    const s = stream(log);
    s.room.applyJoin(joinResult({ normal: 0, important: 0 }), false);
    s.room.batch(
      { roomId: 'room-1', lane: 'important', firstSeq: 1, lastSeq: 3, count: 3 },
      Buffer.from('[{"broken"'),
    );
    expect(s.errors.map((e) => e.code)).toEqual(['INTERNAL']);
    await flush();
    expect(s.seqs('important')).toEqual([1, 2, 3]);
  });

  it('gives a range up when history fails and goes on with what was held', async () => {
    const log = new FakeLog({ normal: 0, important: 10 });
    log.failNext = true;
    const s = stream(log);
    s.room.applyJoin(joinResult({ normal: 0, important: 0 }), false);
    s.room.batch(...batch('important', 5, 6));
    await flush();
    expect(s.seqs('important')).toEqual([5, 6]);
    expect(s.gaps).toEqual([{ lane: 'important', fromSeq: 1, toSeq: 4, recovered: false }]);
    expect(s.errors.map((e) => e.code)).toEqual(['SERVICE_UNAVAILABLE']);
  });

  it('forgets a fill in flight when the connection drops; the resume covers it', async () => {
    const log = new FakeLog({ normal: 0, important: 10 });
    const s = stream(log);
    s.room.applyJoin(joinResult({ normal: 0, important: 0 }), false);
    s.room.batch(...batch('important', 5, 5));
    s.room.suspend();
    await flush();
    expect(s.delivered).toEqual([]);
    s.room.applyJoin(
      joinResult(
        { normal: 0, important: 10 },
        { important: messages('important', run(1, 10)), normal: [], complete: true },
      ),
      true,
    );
    await flush();
    expect(s.seqs('important')).toEqual(run(1, 10));
  });

  it('follows a reopened room whose seqs start afresh', () => {
    const s = stream(new FakeLog({ normal: 0, important: 0 }));
    s.room.applyJoin(joinResult({ normal: 50, important: 50 }), false);
    s.room.suspend();
    const reopened = joinResult({ normal: 2, important: 1 }, { important: [], normal: [], complete: true });
    reopened.room.createdAt = 2;
    s.room.applyJoin(reopened, true);
    expect(s.room.seqs).toEqual({ normal: 2, important: 1 });
    s.room.batch(...batch('important', 2, 2));
    expect(s.seqs('important')).toEqual([2]);
  });

  describe('seq beacon', () => {
    afterEach(() => jest.useRealTimers());

    it('pulls the lost last message of an idle lane once the grace has passed', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
      const log = new FakeLog({ normal: 3, important: 5 });
      const s = stream(log);
      s.room.applyJoin(joinResult({ normal: 3, important: 0 }), false);
      s.room.batch(...batch('important', 1, 4));
      s.room.beacon({ normal: 3, important: 5 });
      jest.advanceTimersByTime(BEACON_GRACE_MS - 1);
      await flush();
      expect(log.calls).toEqual([]);
      jest.advanceTimersByTime(1);
      await flush();
      expect(log.calls).toEqual([{ lane: 'important', afterSeq: 4, limit: 1 }]);
      expect(s.seqs('important')).toEqual([1, 2, 3, 4, 5]);
      expect(s.gaps).toEqual([{ lane: 'important', fromSeq: 5, toSeq: 5, recovered: true }]);
    });

    it('leaves a lane alone when its message arrives within the grace, or when it keeps receiving', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
      const log = new FakeLog({ normal: 40, important: 5 });
      const s = stream(log);
      s.room.applyJoin(joinResult({ normal: 0, important: 4 }), false);
      // The beacon overtook the important batch; the normal lane is busy, its own batches show its gaps.
      s.room.beacon({ normal: 40, important: 5 });
      s.room.batch(...batch('important', 5, 5));
      s.room.batch(...batch('normal', 1, 30));
      jest.advanceTimersByTime(BEACON_GRACE_MS);
      await flush();
      expect(log.calls).toEqual([]);
      expect(s.room.seqs).toEqual({ normal: 30, important: 5 });
      // A beacon at or below the cursors asks for nothing.
      s.room.beacon({ normal: 30, important: 5 });
      jest.advanceTimersByTime(BEACON_GRACE_MS);
      await flush();
      expect(log.calls).toEqual([]);
    });

    it('forgets a pending check when the connection drops', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
      const log = new FakeLog({ normal: 0, important: 9 });
      const s = stream(log);
      s.room.applyJoin(joinResult({ normal: 0, important: 4 }), false);
      s.room.beacon({ normal: 0, important: 9 });
      s.room.suspend();
      jest.advanceTimersByTime(BEACON_GRACE_MS);
      await flush();
      expect(log.calls).toEqual([]);
    });
  });
});
