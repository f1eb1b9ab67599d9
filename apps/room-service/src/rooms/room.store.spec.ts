import { ErrorCode } from '@live-im/contracts';
import { rejection, RoomFixture, user } from '../__tests__/room-fixture';

describe('RoomStore (real Redis)', () => {
  const fx = new RoomFixture('room-store');
  const rooms = fx.rooms;
  let serial = 0;
  const freshRoomId = () => `room-${process.pid}-${++serial}`;

  afterAll(() => fx.cleanup());

  it('creates a room and gets it back', async () => {
    const roomId = freshRoomId();
    const created = await rooms.create({ roomId, title: 'Friday night', ownerId: 'u_host0001' });
    expect(created).toEqual({
      roomId,
      title: 'Friday night',
      ownerId: 'u_host0001',
      status: 'open',
      createdAt: expect.any(Number),
      closedAt: null,
    });
    await expect(rooms.get({ roomId })).resolves.toEqual(created);
  });

  it('keeps the room under its hash tag', async () => {
    const roomId = freshRoomId();
    await rooms.create({ roomId, title: 't', ownerId: 'u_host0001' });
    await expect(fx.redis.exists(`${fx.testRedis.keys.prefix}room:{${roomId}}`)).resolves.toBe(1);
  });

  it('refuses a second create of an open room: ALREADY_EXISTS, the first one untouched', async () => {
    const roomId = freshRoomId();
    const first = await rooms.create({ roomId, title: 'first', ownerId: 'u_host0001' });
    const error = await rejection(rooms.create({ roomId, title: 'second', ownerId: 'u_host0002' }));
    expect(error.code).toBe(ErrorCode.ALREADY_EXISTS);
    await expect(rooms.get({ roomId })).resolves.toEqual(first);
  });

  it('lets exactly one of many concurrent creates win', async () => {
    const roomId = freshRoomId();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => rooms.create({ roomId, title: `t${i}`, ownerId: 'u_host0001' })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes)
      if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: ErrorCode.ALREADY_EXISTS });
  });

  it('closes a room idempotently, logging and publishing one room_closed message', async () => {
    const roomId = freshRoomId();
    await rooms.create({ roomId, title: 'to close', ownerId: 'u_host0001' });
    const closed = await rooms.close({ roomId, reason: 'stream ended' });
    expect(closed).toMatchObject({ roomId, status: 'closed', closedAt: expect.any(Number) });
    await expect(rooms.close({ roomId })).resolves.toEqual(closed);
    await expect(rooms.get({ roomId })).resolves.toEqual(closed);

    const published = fx.outlet.on(roomId);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      lane: 'important',
      seq: 1,
      type: 'system',
      from: { userId: 'u_system' },
      body: { event: 'room_closed', reason: 'stream ended' },
    });
    const history = await fx.roomLog.history({ roomId, lane: 'important', afterSeq: 0, limit: 50 });
    expect(history.messages).toEqual(published);
  });

  it('opens a closed room id again as a new room, with seqs, logs and likes afresh', async () => {
    const roomId = freshRoomId();
    const alice = user('alice001');
    await rooms.create({ roomId, title: 'old show', ownerId: 'u_host0001' });
    const old = await fx.sends.chat({ roomId, sender: alice, text: 'old', clientMsgId: 'c-1' });
    await fx.sends.chat({ roomId, sender: alice, text: 'old 2', clientMsgId: 'c-2' });
    await fx.redis.incrby(fx.keys.likes(roomId), 7);
    await rooms.close({ roomId });

    const reopened = await rooms.create({ roomId, title: 'new show', ownerId: 'u_host0002' });
    expect(reopened).toMatchObject({
      title: 'new show',
      ownerId: 'u_host0002',
      status: 'open',
      closedAt: null,
    });
    await expect(fx.redis.exists(fx.keys.likes(roomId))).resolves.toBe(0);
    const important = await fx.roomLog.history({ roomId, lane: 'important', afterSeq: 0, limit: 50 });
    expect(important).toMatchObject({ messages: [], latestSeq: 0, oldestSeq: 0 });

    // The same clientMsgId as before the reopen is a new message of the new room.
    const fresh = await fx.sends.chat({ roomId, sender: alice, text: 'new', clientMsgId: 'c-1' });
    expect(fresh).toMatchObject({ seq: 1, duplicate: false });
    expect(fresh.messageId).not.toBe(old.messageId);
  });

  it('answers NOT_FOUND for an unknown room, to get and to close', async () => {
    expect((await rejection(rooms.get({ roomId: 'never-created' }))).code).toBe(ErrorCode.NOT_FOUND);
    expect((await rejection(rooms.close({ roomId: 'never-created' }))).code).toBe(ErrorCode.NOT_FOUND);
  });
});
