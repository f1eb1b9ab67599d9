import { ErrorCode } from '@live-im/contracts';
import { rejection, RoomFixture, user } from '../__tests__/room-fixture';

describe('RoomLog (real Redis)', () => {
  const fx = new RoomFixture('room-log', { log: { normalMax: 10 }, resumeLimit: 4 });
  const alice = user('alice001');
  const chat = (roomId: string, n: number) =>
    fx.sends.chat({ roomId, sender: alice, text: `m${n}`, clientMsgId: `c-${n}` });
  const gift = (roomId: string, n: number) =>
    fx.sends.gift({ roomId, sender: alice, giftId: 'heart', count: 1, clientMsgId: `g-${n}` });

  afterAll(() => fx.cleanup());

  it('pages a lane after a seq, oldest first, with latestSeq and the oldest seq still kept', async () => {
    const roomId = await fx.openRoom();
    for (let i = 1; i <= 15; i += 1) await chat(roomId, i);
    const first = await fx.roomLog.history({ roomId, lane: 'normal', afterSeq: 0, limit: 4 });
    // The log keeps the newest 10: seqs 6..15.
    expect(first).toMatchObject({ roomId, lane: 'normal', latestSeq: 15, oldestSeq: 6 });
    expect(first.messages.map((m) => m.seq)).toEqual([6, 7, 8, 9]);
    const next = await fx.roomLog.history({ roomId, lane: 'normal', afterSeq: 9, limit: 4 });
    expect(next.messages.map((m) => m.seq)).toEqual([10, 11, 12, 13]);
    const last = await fx.roomLog.history({ roomId, lane: 'normal', afterSeq: 13, limit: 4 });
    expect(last.messages.map((m) => [m.seq, m.body['text']])).toEqual([
      [14, 'm14'],
      [15, 'm15'],
    ]);
    const none = await fx.roomLog.history({ roomId, lane: 'important', afterSeq: 0, limit: 50 });
    expect(none).toMatchObject({ messages: [], latestSeq: 0, oldestSeq: 0 });
  });

  it('answers NOT_FOUND for an unknown room', async () => {
    const error = await rejection(
      fx.roomLog.history({ roomId: 'no-such-room', lane: 'normal', afterSeq: 0, limit: 10 }),
    );
    expect(error.code).toBe(ErrorCode.NOT_FOUND);
  });

  it('joins with the room, the latest seqs and the recent messages of both lanes', async () => {
    const roomId = await fx.openRoom();
    for (let i = 1; i <= 3; i += 1) await chat(roomId, i);
    await gift(roomId, 1);
    const joined = await fx.roomLog.join({ roomId, userId: 'u_viewer01' });
    expect(joined.room).toMatchObject({ roomId, status: 'open' });
    expect(joined.seqs).toEqual({ normal: 3, important: 1 });
    expect(joined.recent.normal.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(joined.recent.important.map((m) => m.type)).toEqual(['gift']);
    expect(joined.missed).toBeNull();
  });

  it('returns what a resuming member missed, at most the limit per lane, and says when more remain', async () => {
    const roomId = await fx.openRoom();
    for (let i = 1; i <= 8; i += 1) await chat(roomId, i);
    for (let i = 1; i <= 3; i += 1) await gift(roomId, i);

    const behind = await fx.roomLog.join({
      roomId,
      userId: 'u_viewer01',
      resume: { normalSeq: 2, importantSeq: 1 },
    });
    expect(behind.missed?.normal.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    expect(behind.missed?.important.map((m) => m.seq)).toEqual([2, 3]);
    expect(behind.missed?.complete).toBe(false);

    const nearlyThere = await fx.roomLog.join({
      roomId,
      userId: 'u_viewer01',
      resume: { normalSeq: 4, importantSeq: 3 },
    });
    expect(nearlyThere.missed).toMatchObject({ important: [], complete: true });
    expect(nearlyThere.missed?.normal.map((m) => m.seq)).toEqual([5, 6, 7, 8]);
  });

  it('never truncates the important lane silently', async () => {
    const roomId = await fx.openRoom();
    for (let i = 1; i <= 6; i += 1) await gift(roomId, i);
    const joined = await fx.roomLog.join({
      roomId,
      userId: 'u_viewer01',
      resume: { normalSeq: 0, importantSeq: 0 },
    });
    expect(joined.missed?.important.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(joined.missed?.complete).toBe(false);
  });

  it('refuses unknown rooms, closed rooms and room-banned users', async () => {
    expect((await rejection(fx.roomLog.join({ roomId: 'no-such-room', userId: 'u_viewer01' }))).code).toBe(
      ErrorCode.NOT_FOUND,
    );
    const roomId = await fx.openRoom();
    await fx.redis.zadd(fx.keys.banned(roomId), fx.clock.now() + 60_000, 'u_viewer02');
    const banned = await rejection(fx.roomLog.join({ roomId, userId: 'u_viewer02' }));
    expect(banned.code).toBe(ErrorCode.BANNED);
    await fx.rooms.close({ roomId });
    expect((await rejection(fx.roomLog.join({ roomId, userId: 'u_viewer01' }))).code).toBe(
      ErrorCode.ROOM_CLOSED,
    );
  });

  it('admits many users in one call: the room, its seqs, and only those still banned', async () => {
    const roomId = await fx.openRoom();
    await chat(roomId, 1);
    await gift(roomId, 1);
    const now = fx.clock.now();
    await fx.redis.zadd(fx.keys.banned(roomId), now + 60_000, 'u_viewer02', now - 1000, 'u_viewer03');
    const admitted = await fx.roomLog.admit({ roomId, userIds: ['u_viewer01', 'u_viewer02', 'u_viewer03'] });
    expect(admitted.room).toMatchObject({ roomId, status: 'open' });
    expect(admitted.seqs).toEqual({ normal: 1, important: 1 });
    expect(admitted.banned).toEqual([{ userId: 'u_viewer02', bannedUntil: now + 60_000 }]);
    expect(
      (await rejection(fx.roomLog.admit({ roomId: 'no-such-room', userIds: ['u_viewer01'] }))).code,
    ).toBe(ErrorCode.NOT_FOUND);
    await fx.rooms.close({ roomId });
    expect((await rejection(fx.roomLog.admit({ roomId, userIds: ['u_viewer01'] }))).code).toBe(
      ErrorCode.ROOM_CLOSED,
    );
  });
});
