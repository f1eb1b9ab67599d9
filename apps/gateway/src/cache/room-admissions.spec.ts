import { ErrorCode, MAX_ADMIT_USERS, type RoomInfo, RpcError } from '@live-im/contracts';
import { RoomAdmissions } from './room-admissions';

const room: RoomInfo = {
  roomId: 'room-1',
  title: 'a room',
  ownerId: 'u_owner001',
  status: 'open',
  createdAt: 1,
  closedAt: null,
};

describe('RoomAdmissions', () => {
  const calls: Array<{ roomId: string; userIds: string[] }> = [];
  let banned: Array<{ userId: string; bannedUntil: number }> = [];
  let failure: unknown;
  const admissions = (windowMs: number) =>
    new RoomAdmissions((roomId, userIds) => {
      calls.push({ roomId, userIds });
      if (failure !== undefined) return Promise.reject(failure);
      return Promise.resolve({ room: { ...room, roomId }, seqs: { normal: 0, important: 0 }, banned });
    }, windowMs);

  beforeEach(() => {
    calls.length = 0;
    banned = [];
    failure = undefined;
  });

  it('lets a lone join go at once, then holds the next joins of the room for one call after the window', async () => {
    const admit = admissions(200);
    const started = Date.now();
    await admit.admit('room-1', 'u_viewer01');
    expect(Date.now() - started).toBeLessThan(150);
    const later = [admit.admit('room-1', 'u_viewer02'), admit.admit('room-1', 'u_viewer03')];
    expect(calls).toHaveLength(1);
    await Promise.all(later);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(calls.map((call) => call.userIds)).toEqual([['u_viewer01'], ['u_viewer02', 'u_viewer03']]);
  });

  it("admits a room's joins of one turn in one call, each room apart", async () => {
    const admit = admissions(10);
    const joins = [
      admit.admit('room-1', 'u_viewer01'),
      admit.admit('room-1', 'u_viewer02'),
      admit.admit('room-1', 'u_viewer02'),
      admit.admit('room-2', 'u_viewer03'),
    ];
    expect(admit.waitingRooms).toBe(2);
    const rooms = await Promise.all(joins);
    expect(rooms.map((r) => r.roomId)).toEqual(['room-1', 'room-1', 'room-1', 'room-2']);
    expect(calls).toEqual([
      { roomId: 'room-1', userIds: ['u_viewer01', 'u_viewer02'] },
      { roomId: 'room-2', userIds: ['u_viewer03'] },
    ]);
    expect(admit.waitingRooms).toBe(0);
  });

  it('refuses the banned users of a call with BANNED and their ban end, admitting the rest', async () => {
    banned = [{ userId: 'u_viewer02', bannedUntil: 99 }];
    const admit = admissions(0);
    const [ok, refused] = await Promise.allSettled([
      admit.admit('room-1', 'u_viewer01'),
      admit.admit('room-1', 'u_viewer02'),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(refused.status === 'rejected' && refused.reason).toMatchObject({
      code: ErrorCode.BANNED,
      details: { bannedUntil: 99 },
    });
  });

  it("fails every join of a call with room-service's error", async () => {
    failure = new RpcError(ErrorCode.ROOM_CLOSED, 'room room-1 is closed');
    const admit = admissions(0);
    const results = await Promise.allSettled([
      admit.admit('room-1', 'u_viewer01'),
      admit.admit('room-1', 'u_viewer02'),
    ]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as RpcError).code)).toEqual([
      ErrorCode.ROOM_CLOSED,
      ErrorCode.ROOM_CLOSED,
    ]);
  });

  it('sends a full window at once, without waiting for it to close', async () => {
    const admit = admissions(60_000);
    const joins = Array.from({ length: MAX_ADMIT_USERS + 1 }, (_, i) =>
      admit.admit('room-1', `u_viewer${String(i).padStart(4, '0')}`),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0].userIds).toHaveLength(MAX_ADMIT_USERS);
    await Promise.all(joins.slice(0, MAX_ADMIT_USERS));
    // The one past the bound opened the next window.
    expect(admit.waitingRooms).toBe(1);
  });
});
