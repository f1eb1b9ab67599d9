import { ErrorCode, RoomMessage } from '@live-im/contracts';
import { rejection, RoomFixture, user } from '../__tests__/room-fixture';

describe('SendPipeline (real Redis)', () => {
  const fx = new RoomFixture('room-send');
  const alice = user('alice001');
  const bob = user('bob00001');

  afterAll(() => fx.cleanup());

  it('gives each lane its own gapless seqs under 200 concurrent sends, and publishes what it logged', async () => {
    const roomId = await fx.openRoom();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? fx.sends.chat({ roomId, sender: alice, text: `hello ${i}`, clientMsgId: `c-${i}` })
          : fx.sends.gift({ roomId, sender: bob, giftId: 'rose', count: 1, clientMsgId: `g-${i}` }),
      ),
    );
    const seqsOf = (lane: string) =>
      results
        .filter((r) => r.lane === lane)
        .map((r) => r.seq)
        .sort((a, b) => a - b);
    const oneTo100 = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(seqsOf('normal')).toEqual(oneTo100);
    expect(seqsOf('important')).toEqual(oneTo100);
    expect(new Set(results.map((r) => r.messageId)).size).toBe(200);

    const published = fx.outlet.published.filter((p) => p.roomId === roomId);
    expect(published).toHaveLength(200);
    const logged = await fx.redis.zrange(fx.keys.log(roomId, 'normal'), 0, -1, 'WITHSCORES');
    for (let i = 0; i < logged.length; i += 2) {
      const seq = Number(logged[i + 1]);
      const pub = published.find((p) => p.lane === 'normal' && p.seq === seq);
      expect(pub?.body.toString('utf8')).toBe(logged[i]);
    }
  });

  it('builds the chat envelope from the contract fields, without the sender role', async () => {
    const roomId = await fx.openRoom();
    const sent = await fx.sends.chat({ roomId, sender: alice, text: 'hi there', clientMsgId: 'c-env' });
    const [message] = fx.outlet.on(roomId);
    expect(message).toEqual({
      id: sent.messageId,
      roomId,
      lane: 'normal',
      seq: 1,
      type: 'chat',
      from: { userId: alice.userId, nickname: alice.nickname, level: alice.level },
      body: { text: 'hi there' },
      ts: expect.any(Number),
      clientMsgId: 'c-env',
    });
    expect(RoomMessage.safeParse(message).success).toBe(true);
    expect(sent.messageId).toMatch(/^m_[0-9a-z]+[A-Za-z0-9_-]{8}$/);
  });

  it('sends a catalogue gift on the important lane with its name, price and animation', async () => {
    const roomId = await fx.openRoom();
    await fx.sends.gift({ roomId, sender: bob, giftId: 'rocket', count: 3, clientMsgId: 'g-1' });
    const [message] = fx.outlet.on(roomId);
    expect(message).toMatchObject({
      lane: 'important',
      type: 'gift',
      body: { giftId: 'rocket', name: 'Rocket', count: 3, animation: 'rocket', price: 2000 },
    });
    const unknown = await rejection(
      fx.sends.gift({ roomId, sender: bob, giftId: 'unicorn', count: 1, clientMsgId: 'g-2' }),
    );
    expect(unknown.code).toBe(ErrorCode.NOT_FOUND);
  });

  it('answers a repeated clientMsgId with the first id and seq, and publishes nothing again', async () => {
    const roomId = await fx.openRoom();
    const first = await fx.sends.chat({ roomId, sender: alice, text: 'once', clientMsgId: 'dup-1' });
    const again = await fx.sends.chat({ roomId, sender: alice, text: 'once', clientMsgId: 'dup-1' });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(fx.outlet.on(roomId)).toHaveLength(1);
    // Another user's identical clientMsgId is another message.
    const other = await fx.sends.chat({ roomId, sender: bob, text: 'once', clientMsgId: 'dup-1' });
    expect(other).toMatchObject({ seq: 2, duplicate: false });
    // Concurrent retries of one send still make one message.
    const burst = await Promise.all(
      Array.from({ length: 20 }, () =>
        fx.sends.chat({ roomId, sender: alice, text: 'burst', clientMsgId: 'dup-2' }),
      ),
    );
    expect(new Set(burst.map((r) => r.seq))).toEqual(new Set([3]));
    expect(burst.filter((r) => !r.duplicate)).toHaveLength(1);
  });

  it('publishes a retried gift again from the log: its first attempt may have been logged but never broadcast', async () => {
    const roomId = await fx.openRoom();
    const gift = { roomId, sender: bob, giftId: 'rose', count: 1, clientMsgId: 'g-retry' };
    const first = await fx.sends.gift(gift);
    // As if the first attempt's WAIT had failed: logged (and promoted with the replica), not broadcast.
    const published = fx.outlet.published;
    published.splice(0, published.length, ...published.filter((p) => p.roomId !== roomId));
    const ttlBefore = await fx.redis.pttl(fx.keys.dedupe(roomId, bob.userId, 'g-retry'));

    const retry = await fx.sends.gift(gift);
    expect(retry).toEqual({ ...first, duplicate: true });
    const again = published.filter((p) => p.roomId === roomId);
    expect(again.map((p) => [p.lane, p.seq])).toEqual([['important', first.seq]]);
    const [logged] = await fx.redis.zrange(fx.keys.log(roomId, 'important'), 0, -1);
    expect(again[0]?.body.toString('utf8')).toBe(logged);
    expect(await fx.redis.zcard(fx.keys.log(roomId, 'important'))).toBe(1);
    // The dedupe record is rewritten (a write for the WAIT to cover) but lives no longer.
    expect(await fx.redis.pttl(fx.keys.dedupe(roomId, bob.userId, 'g-retry'))).toBeLessThanOrEqual(ttlBefore);
  });

  it('refuses guests (FORBIDDEN), unknown rooms (NOT_FOUND) and closed rooms (ROOM_CLOSED)', async () => {
    const roomId = await fx.openRoom();
    const guest = user('visitor1', 'guest');
    expect(
      (await rejection(fx.sends.chat({ roomId, sender: guest, text: 'hi', clientMsgId: 'c-1' }))).code,
    ).toBe(ErrorCode.FORBIDDEN);
    expect(
      (await rejection(fx.sends.chat({ roomId: 'nowhere', sender: alice, text: 'hi', clientMsgId: 'c-1' })))
        .code,
    ).toBe(ErrorCode.NOT_FOUND);
    await fx.rooms.close({ roomId });
    expect(
      (await rejection(fx.sends.chat({ roomId, sender: alice, text: 'hi', clientMsgId: 'c-2' }))).code,
    ).toBe(ErrorCode.ROOM_CLOSED);
  });

  it('refuses muted and room-banned users until their time is up', async () => {
    const roomId = await fx.openRoom();
    const now = fx.clock.now();
    await fx.redis.zadd(fx.keys.muted(roomId), now + 60_000, alice.userId);
    await fx.redis.zadd(fx.keys.banned(roomId), now + 120_000, bob.userId);
    const muted = await rejection(fx.sends.chat({ roomId, sender: alice, text: 'hi', clientMsgId: 'c-1' }));
    expect(muted.code).toBe(ErrorCode.MUTED);
    expect(muted.details).toEqual({ mutedUntil: now + 60_000 });
    const banned = await rejection(
      fx.sends.gift({ roomId, sender: bob, giftId: 'rose', count: 1, clientMsgId: 'g-1' }),
    );
    expect(banned.code).toBe(ErrorCode.BANNED);
    expect(banned.details).toEqual({ bannedUntil: now + 120_000 });

    fx.clock.advance(61_000);
    await expect(
      fx.sends.chat({ roomId, sender: alice, text: 'back', clientMsgId: 'c-2' }),
    ).resolves.toMatchObject({ seq: 1 });
    await expect(
      fx.sends.gift({ roomId, sender: bob, giftId: 'rose', count: 1, clientMsgId: 'g-2' }),
    ).rejects.toMatchObject({
      code: ErrorCode.BANNED,
    });
  });

  it('keeps only the newest messages of a lane', async () => {
    const small = new RoomFixture('room-trim', { log: { normalMax: 5 } });
    try {
      const roomId = await small.openRoom();
      for (let i = 1; i <= 12; i += 1)
        await small.sends.chat({ roomId, sender: alice, text: `m${i}`, clientMsgId: `c-${i}` });
      const scores = (await small.redis.zrange(small.keys.log(roomId, 'normal'), 0, -1, 'WITHSCORES')).filter(
        (_, i) => i % 2 === 1,
      );
      expect(scores.map(Number)).toEqual([8, 9, 10, 11, 12]);
      expect(await small.redis.pttl(small.keys.log(roomId, 'normal'))).toBeGreaterThan(86_000_000);
    } finally {
      await small.cleanup();
    }
  });

  it('counts a message the publisher could not route, and still logs it', async () => {
    const roomId = await fx.openRoom();
    fx.outlet.routed = false;
    try {
      const sent = await fx.sends.chat({ roomId, sender: alice, text: 'nobody listens', clientMsgId: 'c-1' });
      expect(sent.seq).toBe(1);
      expect(await fx.redis.zcard(fx.keys.log(roomId, 'normal'))).toBe(1);
    } finally {
      fx.outlet.routed = true;
    }
  });
});

describe('SendPipeline rate limits (real Redis)', () => {
  it('answers RATE_LIMITED with retryAfterMs once a user spends the budget, gifts included', async () => {
    const fx = new RoomFixture('room-rate', { rates: { userPoints: 3, userWindowSec: 5 } });
    try {
      const roomId = await fx.openRoom();
      const alice = user('alice001');
      await fx.sends.chat({ roomId, sender: alice, text: '1', clientMsgId: 'c-1' });
      await fx.sends.chat({ roomId, sender: alice, text: '2', clientMsgId: 'c-2' });
      await fx.sends.gift({ roomId, sender: alice, giftId: 'rose', count: 1, clientMsgId: 'g-1' });
      const limited = await rejection(
        fx.sends.chat({ roomId, sender: alice, text: '4', clientMsgId: 'c-4' }),
      );
      expect(limited.code).toBe(ErrorCode.RATE_LIMITED);
      expect(limited.details?.['retryAfterMs']).toEqual(expect.any(Number));
      expect(limited.details?.['retryAfterMs'] as number).toBeGreaterThan(0);
      // Another user still has a budget; the limiter's keys live under the room's hash tag.
      await expect(
        fx.sends.chat({ roomId, sender: user('bob00001'), text: 'hi', clientMsgId: 'c-1' }),
      ).resolves.toMatchObject({
        seq: 3,
      });
      const rateKeys = await fx.testRedis.keysMatching(`${fx.testRedis.keys.prefix}{${roomId}}:rate:*`);
      expect(rateKeys.length).toBe(3);
    } finally {
      await fx.cleanup();
    }
  });

  it('caps a whole room', async () => {
    const fx = new RoomFixture('room-rate-room', { rates: { roomPoints: 5, roomWindowSec: 10 } });
    try {
      const roomId = await fx.openRoom();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          fx.sends.chat({ roomId, sender: user(`user000${i}`), text: 'x', clientMsgId: 'c' }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
      for (const o of outcomes)
        if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: ErrorCode.RATE_LIMITED });
    } finally {
      await fx.cleanup();
    }
  });

  it('sends a chat in one Redis call: the rate limits are checked inside the send script', async () => {
    const fx = new RoomFixture('room-rate-one-call', { rates: { userPoints: 2, userWindowSec: 60 } });
    try {
      const roomId = await fx.openRoom();
      const alice = user('alice001');
      // The first send defines the script command on the client; the one measured finds it.
      await fx.sends.chat({ roomId, sender: alice, text: '1', clientMsgId: 'c-1' });
      const sent = jest.spyOn(fx.redis, 'sendCommand');
      await fx.sends.chat({ roomId, sender: alice, text: '2', clientMsgId: 'c-2' });
      const limited = await rejection(
        fx.sends.chat({ roomId, sender: alice, text: '3', clientMsgId: 'c-3' }),
      );
      expect(limited.code).toBe(ErrorCode.RATE_LIMITED);
      expect(sent.mock.calls.map(([command]) => command.name)).toEqual(['evalsha', 'evalsha']);
      sent.mockRestore();
      // Refused before the log: nothing of the refused send was written.
      expect(await fx.redis.zcard(fx.keys.log(roomId, 'normal'))).toBe(2);
    } finally {
      await fx.cleanup();
    }
  });

  it('refuses a user over budget before the moderation checks, as it always has', async () => {
    const fx = new RoomFixture('room-rate-first', { rates: { userPoints: 1, userWindowSec: 60 } });
    try {
      const roomId = await fx.openRoom();
      const alice = user('alice001');
      await fx.sends.chat({ roomId, sender: alice, text: '1', clientMsgId: 'c-1' });
      await fx.redis.zadd(fx.keys.muted(roomId), fx.clock.now() + 60_000, alice.userId);
      const limited = await rejection(
        fx.sends.chat({ roomId, sender: alice, text: '2', clientMsgId: 'c-2' }),
      );
      expect(limited.code).toBe(ErrorCode.RATE_LIMITED);
      expect(limited.details?.['retryAfterMs'] as number).toBeGreaterThan(0);
      expect(limited.details?.['retryAfterMs'] as number).toBeLessThanOrEqual(60_000);
    } finally {
      await fx.cleanup();
    }
  });

  it("charges a user's targeted push to the same budgets, and never the system's", async () => {
    const fx = new RoomFixture('room-rate-push', { rates: { userPoints: 1, userWindowSec: 60 } });
    try {
      const roomId = await fx.openRoom();
      const alice = user('alice001');
      const push = (from: typeof alice | undefined, clientMsgId: string) =>
        fx.push.push({
          roomId,
          lane: 'important',
          type: 'signal',
          body: { hello: true },
          to: ['u_bob00001'],
          from,
          clientMsgId,
          requireAck: false,
          ackTimeoutSec: 30,
        });
      await push(alice, 'p-1');
      expect((await rejection(push(alice, 'p-2'))).code).toBe(ErrorCode.RATE_LIMITED);
      expect(
        (await rejection(fx.sends.chat({ roomId, sender: alice, text: 'x', clientMsgId: 'c-1' }))).code,
      ).toBe(ErrorCode.RATE_LIMITED);
      for (let i = 0; i < 3; i += 1)
        await expect(push(undefined, `s-${i}`)).resolves.toMatchObject({ seq: null });
    } finally {
      await fx.cleanup();
    }
  });

  describe('when an important send requires a replica', () => {
    // More than a single Redis (none) or the test cluster (one per master) has connected.
    const strict = new RoomFixture('room-send-strict', { importantAcks: { replicas: 2, timeoutMs: 50 } });

    afterAll(() => strict.cleanup());

    it('waits for as many as the master has connected, and counts the send as degraded when fewer', async () => {
      const roomId = await strict.openRoom();
      const gift = { roomId, sender: user('bob00001'), giftId: 'rose', count: 1, clientMsgId: 'g-degraded' };
      const degraded = jest.spyOn(strict.metrics, 'sendDegraded');
      const result = await strict.sends.gift(gift);
      expect(result).toMatchObject({ lane: 'important', seq: 1, duplicate: false });
      expect(strict.outlet.on(roomId).filter((m) => m.type === 'gift')).toHaveLength(1);
      expect(degraded).toHaveBeenCalledTimes(1);
      // The retry with its clientMsgId answers the first result and logs nothing again.
      expect(await strict.sends.gift(gift)).toMatchObject({ seq: 1, duplicate: true });
      expect(await strict.redis.zcard(strict.keys.log(roomId, 'important'))).toBe(1);
    });
  });
});
