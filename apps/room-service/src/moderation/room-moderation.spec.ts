import { ErrorCode } from '@live-im/contracts';
import { rejection, RoomFixture, user } from '../__tests__/room-fixture';
import { PERMANENT_UNTIL, RoomModeration } from './room-moderation';

describe('RoomModeration (real Redis)', () => {
  const fx = new RoomFixture('room-moderation');
  const moderation = new RoomModeration(fx.redis, fx.keys, fx.clock, fx.channels);
  const troll = user('troll001');
  const say = (roomId: string, clientMsgId: string) =>
    fx.sends.chat({ roomId, sender: troll, text: 'spam', clientMsgId });

  afterAll(() => fx.cleanup());

  it('mutes for a while or until unmuted', async () => {
    const roomId = await fx.openRoom();
    const before = fx.clock.now();
    const muted = await moderation.mute({ roomId, userId: troll.userId, durationSec: 60 });
    expect(muted).toEqual({ roomId, userId: troll.userId, mutedUntil: expect.any(Number) });
    expect(muted.mutedUntil - 60_000).toBeGreaterThanOrEqual(before);
    expect(muted.mutedUntil - 60_000).toBeLessThanOrEqual(fx.clock.now());
    expect((await rejection(say(roomId, 'c-1'))).code).toBe(ErrorCode.MUTED);
    await expect(moderation.unmute({ roomId, userId: troll.userId })).resolves.toEqual({
      roomId,
      userId: troll.userId,
      mutedUntil: null,
    });
    await expect(say(roomId, 'c-2')).resolves.toMatchObject({ seq: 1 });

    await expect(moderation.mute({ roomId, userId: troll.userId })).resolves.toMatchObject({
      mutedUntil: PERMANENT_UNTIL,
    });
    fx.clock.advance(365 * 86_400_000);
    expect((await rejection(say(roomId, 'c-3'))).code).toBe(ErrorCode.MUTED);
  });

  it('bans and kicks: a kick message on the user channel, no joining or sending until unbanned', async () => {
    const roomId = await fx.openRoom();
    const banned = await moderation.ban({ roomId, userId: troll.userId, reason: 'spam' });
    expect(banned).toEqual({ roomId, userId: troll.userId, bannedUntil: PERMANENT_UNTIL });
    const kicks = fx.outlet.on(`_${troll.userId}`).filter((m) => m.roomId === roomId);
    expect(kicks).toEqual([
      expect.objectContaining({
        roomId,
        lane: 'important',
        type: 'system',
        from: expect.objectContaining({ userId: 'u_system' }),
        body: { event: 'kick', reason: 'spam' },
        to: [troll.userId],
      }),
    ]);
    expect((await rejection(fx.roomLog.join({ roomId, userId: troll.userId }))).code).toBe(ErrorCode.BANNED);
    expect((await rejection(say(roomId, 'c-1'))).code).toBe(ErrorCode.BANNED);

    await moderation.unban({ roomId, userId: troll.userId });
    await expect(fx.roomLog.join({ roomId, userId: troll.userId })).resolves.toMatchObject({
      room: { roomId },
    });
  });

  it('kicks without banning', async () => {
    const roomId = await fx.openRoom();
    await expect(moderation.kick({ roomId, userId: troll.userId, reason: 'kicked' })).resolves.toEqual({
      roomId,
      userId: troll.userId,
    });
    const kicks = fx.outlet.on(`_${troll.userId}`).filter((m) => m.roomId === roomId);
    expect(kicks.map((m) => m.body)).toEqual([{ event: 'kick', reason: 'kicked' }]);
    await expect(fx.roomLog.join({ roomId, userId: troll.userId })).resolves.toMatchObject({
      room: { roomId },
    });
  });

  it('answers NOT_FOUND for an unknown room', async () => {
    // One at a time: started together, a rejection not awaited yet would be reported as unhandled.
    for (const work of [
      () => moderation.mute({ roomId: 'no-such-room', userId: troll.userId }),
      () => moderation.ban({ roomId: 'no-such-room', userId: troll.userId, reason: 'x' }),
      () => moderation.kick({ roomId: 'no-such-room', userId: troll.userId, reason: 'x' }),
    ]) {
      expect((await rejection(work())).code).toBe(ErrorCode.NOT_FOUND);
    }
  });
});
