import { ErrorCode, RpcError } from '@live-im/contracts';
import { Clock } from '@live-im/bootstrap';
import { TestRedis } from '@live-im/testing';
import { RoomStore } from './room.store';

async function rejection(work: Promise<unknown>): Promise<RpcError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('expected an RpcError');
}

describe('RoomStore (real Redis)', () => {
  const testRedis = new TestRedis('room-service');
  const rooms = new RoomStore(testRedis.redis, testRedis.keys, new Clock());
  let serial = 0;
  const freshRoomId = () => `room-${process.pid}-${++serial}`;

  afterAll(() => testRedis.cleanup());

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
    await expect(testRedis.redis.exists(`${testRedis.keys.prefix}room:{${roomId}}`)).resolves.toBe(1);
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

  it('closes a room idempotently', async () => {
    const roomId = freshRoomId();
    await rooms.create({ roomId, title: 'to close', ownerId: 'u_host0001' });
    const closed = await rooms.close({ roomId, reason: 'stream ended' });
    expect(closed).toMatchObject({ roomId, status: 'closed', closedAt: expect.any(Number) });
    await expect(rooms.close({ roomId })).resolves.toEqual(closed);
    await expect(rooms.get({ roomId })).resolves.toEqual(closed);
  });

  it('opens a closed room id again as a new room', async () => {
    const roomId = freshRoomId();
    await rooms.create({ roomId, title: 'old show', ownerId: 'u_host0001' });
    await rooms.close({ roomId });
    const reopened = await rooms.create({ roomId, title: 'new show', ownerId: 'u_host0002' });
    expect(reopened).toMatchObject({
      title: 'new show',
      ownerId: 'u_host0002',
      status: 'open',
      closedAt: null,
    });
  });

  it('answers NOT_FOUND for an unknown room, to get and to close', async () => {
    expect((await rejection(rooms.get({ roomId: 'never-created' }))).code).toBe(ErrorCode.NOT_FOUND);
    expect((await rejection(rooms.close({ roomId: 'never-created' }))).code).toBe(ErrorCode.NOT_FOUND);
  });
});
