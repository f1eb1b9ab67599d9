import { ErrorCode } from '@live-im/contracts';
import { rejection, RoomFixture, user } from '../__tests__/room-fixture';
import { LikeAggregator } from './like-aggregator';

describe('LikeAggregator (real Redis)', () => {
  const fx = new RoomFixture('room-likes');
  const likesOf = () =>
    new LikeAggregator(fx.redis, fx.keys, fx.clock, fx.broadcast, fx.metrics, {
      flushMs: 60_000,
      log: fx.log.normal,
    });

  afterAll(() => fx.cleanup());

  it('turns many likes into one aggregate message per room per flush', async () => {
    const [roomA, roomB] = [await fx.openRoom(), await fx.openRoom()];
    const likes = likesOf();
    const results = await Promise.all([
      ...Array.from({ length: 50 }, (_, i) =>
        likes.like({ roomId: roomA, sender: user(`fan0000${i % 5}`), count: 2 }),
      ),
      likes.like({ roomId: roomB, sender: user('fan00001'), count: 7 }),
    ]);
    expect(results.every((r) => r.accepted > 0)).toBe(true);
    expect(fx.outlet.on(roomA)).toEqual([]);

    await likes.flush();
    const [aggregate] = fx.outlet.on(roomA);
    expect(fx.outlet.on(roomA)).toHaveLength(1);
    expect(aggregate).toMatchObject({
      roomId: roomA,
      lane: 'normal',
      seq: 1,
      type: 'like',
      from: { userId: 'u_system' },
      body: { count: 100, total: 100 },
    });
    expect(fx.outlet.on(roomB)[0]).toMatchObject({ body: { count: 7, total: 7 } });

    // Nothing pending: nothing written.
    await likes.flush();
    expect(fx.outlet.on(roomA)).toHaveLength(1);

    await likes.like({ roomId: roomA, sender: user('fan00001'), count: 5 });
    await likes.flush();
    expect(fx.outlet.on(roomA)[1]).toMatchObject({ seq: 2, body: { count: 5, total: 105 } });
    const history = await fx.roomLog.history({ roomId: roomA, lane: 'normal', afterSeq: 0, limit: 10 });
    expect(history.messages).toEqual(fx.outlet.on(roomA));
    expect(await fx.redis.get(fx.keys.likes(roomA))).toBe('105');
  });

  it('sums the likes of several workers into the room total', async () => {
    const roomId = await fx.openRoom();
    const [one, two] = [likesOf(), likesOf()];
    await one.like({ roomId, sender: user('fan00001'), count: 3 });
    await two.like({ roomId, sender: user('fan00002'), count: 4 });
    await Promise.all([one.flush(), two.flush()]);
    const bodies = fx.outlet.on(roomId).map((m) => m.body);
    expect(bodies).toHaveLength(2);
    expect(Math.max(...bodies.map((b) => b['total'] as number))).toBe(7);
  });

  it('flushes what is pending on shutdown', async () => {
    const roomId = await fx.openRoom();
    const likes = likesOf();
    likes.onApplicationBootstrap();
    await likes.like({ roomId, sender: user('fan00001'), count: 9 });
    await likes.onApplicationShutdown();
    expect(fx.outlet.on(roomId)).toEqual([expect.objectContaining({ body: { count: 9, total: 9 } })]);
  });

  it('refuses guests, unknown and closed rooms, banned users; drops likes of a room closed before the flush', async () => {
    const roomId = await fx.openRoom();
    const likes = likesOf();
    expect((await rejection(likes.like({ roomId, sender: user('visitor1', 'guest'), count: 1 }))).code).toBe(
      ErrorCode.FORBIDDEN,
    );
    expect(
      (await rejection(likes.like({ roomId: 'no-such-room', sender: user('fan00001'), count: 1 }))).code,
    ).toBe(ErrorCode.NOT_FOUND);
    await fx.redis.zadd(fx.keys.banned(roomId), fx.clock.now() + 60_000, 'u_fan00002');
    expect((await rejection(likes.like({ roomId, sender: user('fan00002'), count: 1 }))).code).toBe(
      ErrorCode.BANNED,
    );

    await likes.like({ roomId, sender: user('fan00001'), count: 4 });
    await fx.rooms.close({ roomId });
    await likes.flush();
    expect(fx.outlet.on(roomId).map((m) => m.type)).toEqual(['system']);
    expect(await fx.redis.get(fx.keys.likes(roomId))).toBeNull();
    expect((await rejection(likes.like({ roomId, sender: user('fan00001'), count: 1 }))).code).toBe(
      ErrorCode.ROOM_CLOSED,
    );
  });
});
