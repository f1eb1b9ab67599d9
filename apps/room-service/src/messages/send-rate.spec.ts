import calculateSlot from 'cluster-key-slot';
import { ErrorCode } from '@live-im/contracts';
import { LuaScript } from '@live-im/redis';
import { TestRedis, waitFor } from '@live-im/testing';
import { RoomKeys } from '../rooms/room-keys';
import { rateLimitedError, SEND_RATE_LUA, SendRates } from './send-rate';

/** The fragment alone: 'OK' when the send may go, else its refusal. */
const RATE_LIMIT = new LuaScript(`${SEND_RATE_LUA}
return rateLimit(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4]) or {'OK'}
`);

type Reply = ['OK'] | ['RATE_LIMITED', number];

describe('SEND_RATE_LUA (real Redis)', () => {
  const testRedis = new TestRedis('room-send-rate');
  const redis = testRedis.redis;
  const keys = new RoomKeys(testRedis.keys);
  let serial = 0;

  /** A room of its own per test, and a send of `userId` in it under `limits`. */
  function room(limits: {
    userPoints: number;
    userWindowSec: number;
    roomPoints: number;
    roomWindowSec: number;
  }) {
    const roomId = `rate-${process.pid}-${++serial}`;
    const rates = new SendRates(keys, limits);
    return {
      roomId,
      send: async (userId: string, charged = true) =>
        (await RATE_LIMIT.run(redis, rates.keysOf(roomId, userId), rates.argsOf(charged))) as Reply,
    };
  }

  afterAll(() => testRedis.cleanup());

  it("lets a user send the budget's points per window, then refuses with the window's time left", async () => {
    const { roomId, send } = room({ userPoints: 3, userWindowSec: 5, roomPoints: 100, roomWindowSec: 1 });
    for (let i = 0; i < 3; i += 1) expect(await send('u_ann')).toEqual(['OK']);
    const refused = await send('u_ann');
    expect(refused[0]).toBe('RATE_LIMITED');
    expect(refused[1]).toBeGreaterThan(0);
    expect(refused[1]).toBeLessThanOrEqual(5_000);
    // Another user's budget is their own; the counters expire with their windows.
    expect(await send('u_ben')).toEqual(['OK']);
    const userTtl = await redis.pttl(keys.userRate(roomId, 'u_ann'));
    expect(userTtl).toBeGreaterThan(0);
    expect(userTtl).toBeLessThanOrEqual(5_000);
    const roomTtl = await redis.pttl(keys.roomRate(roomId));
    expect(roomTtl).toBeGreaterThan(0);
    expect(roomTtl).toBeLessThanOrEqual(1_000);
  });

  it('counts refused sends too, and charges both budgets when one refuses', async () => {
    const { roomId, send } = room({ userPoints: 2, userWindowSec: 60, roomPoints: 3, roomWindowSec: 60 });
    await send('u_ann');
    await send('u_ann');
    expect((await send('u_ann'))[0]).toBe('RATE_LIMITED');
    expect(await redis.get(keys.userRate(roomId, 'u_ann'))).toBe('3');
    // The room's budget (3) was spent by ann's refused send as well.
    expect(await redis.get(keys.roomRate(roomId))).toBe('3');
    expect((await send('u_ben'))[0]).toBe('RATE_LIMITED');
    expect(await redis.get(keys.userRate(roomId, 'u_ben'))).toBe('1');
  });

  it('answers the later end of the spent windows when both are spent', async () => {
    const { send } = room({ userPoints: 1, userWindowSec: 30, roomPoints: 1, roomWindowSec: 1 });
    await send('u_ann');
    const refused = await send('u_ann');
    expect(refused[0]).toBe('RATE_LIMITED');
    expect(refused[1]).toBeGreaterThan(1_000);
    expect(refused[1]).toBeLessThanOrEqual(30_000);
  });

  it('gives a full budget again once the window has passed', async () => {
    const { roomId, send } = room({ userPoints: 1, userWindowSec: 60, roomPoints: 100, roomWindowSec: 60 });
    await send('u_ann');
    expect((await send('u_ann'))[0]).toBe('RATE_LIMITED');
    // The window's end, brought forward: the counter expires as it would after 60 s.
    const counter = keys.userRate(roomId, 'u_ann');
    await redis.pexpire(counter, 1);
    await waitFor(async () => (await redis.exists(counter)) === 0, { timeoutMs: 5_000, what: 'window end' });
    expect(await send('u_ann')).toEqual(['OK']);
  });

  it('gives a counter left without an expiry the window it lacks', async () => {
    const { roomId, send } = room({ userPoints: 5, userWindowSec: 5, roomPoints: 100, roomWindowSec: 1 });
    await redis.set(keys.userRate(roomId, 'u_ann'), '2');
    expect(await send('u_ann')).toEqual(['OK']);
    expect(await redis.get(keys.userRate(roomId, 'u_ann'))).toBe('3');
    expect(await redis.pttl(keys.userRate(roomId, 'u_ann'))).toBeGreaterThan(0);
  });

  it('touches no counter for a send nobody is charged for', async () => {
    const { roomId, send } = room({ userPoints: 1, userWindowSec: 5, roomPoints: 1, roomWindowSec: 1 });
    for (let i = 0; i < 3; i += 1) expect(await send('u_system', false)).toEqual(['OK']);
    expect(await redis.exists(keys.userRate(roomId, 'u_system'), keys.roomRate(roomId))).toBe(0);
  });

  it("keeps the counters on the room's slot, with the send script's other keys", () => {
    const rates = new SendRates(keys, { userPoints: 1, userWindowSec: 1, roomPoints: 1, roomWindowSec: 1 });
    const roomSlot = calculateSlot(keys.room('r-slot'));
    for (const key of rates.keysOf('r-slot', 'u_ann')) expect(calculateSlot(key)).toBe(roomSlot);
  });

  it('makes the refusal RATE_LIMITED with details.retryAfterMs, and nothing of other replies', () => {
    const error = rateLimitedError(['RATE_LIMITED', 812]);
    expect(error?.code).toBe(ErrorCode.RATE_LIMITED);
    expect(error?.details).toEqual({ retryAfterMs: 812 });
    expect(rateLimitedError(['MUTED', 1])).toBeUndefined();
    expect(rateLimitedError(['OK', 1, '1'])).toBeUndefined();
  });
});
