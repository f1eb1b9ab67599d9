import { ErrorCode, OnlineMember, RpcError } from '@live-im/contracts';
import { TestRedis, waitFor } from '@live-im/testing';
import { memberShard } from './member-shard';
import { PresenceMember } from './presence-delta';
import { PresenceStore, PresenceStoreOptions } from './presence-store';
import { PresenceTracker } from './presence-tracker';

const LEASE_MS = 3000;
const T0 = 1_700_000_000_000;

const user = (i: number): PresenceMember => ({
  userId: `u_user${String(i).padStart(5, '0')}`,
  nickname: `Viewer ${i}`,
});

describe('PresenceStore', () => {
  const test = new TestRedis('presence');
  let roomSeq = 0;
  let roomId: string;

  beforeEach(() => {
    roomSeq += 1;
    roomId = `room${roomSeq}`;
  });

  afterAll(() => test.cleanup());

  function store(options: Partial<PresenceStoreOptions> = {}): PresenceStore {
    return new PresenceStore(test.redis, test.keys, { leaseMs: LEASE_MS, ...options });
  }

  /** A gateway: its tracker and the store it flushes to, the way the gateway wires them. */
  function gateway(gatewayId: string, presence: PresenceStore, trackerOptions = {}) {
    const tracker = new PresenceTracker(trackerOptions);
    return {
      tracker,
      async flush(now: number): Promise<void> {
        const deltas = tracker.drain();
        try {
          await presence.flush(gatewayId, deltas, now);
        } catch (error) {
          tracker.restore(deltas);
          throw error;
        }
      },
    };
  }

  async function allMembers(presence: PresenceStore, now: number): Promise<OnlineMember[]> {
    const members: OnlineMember[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await presence.members(roomId, cursor, now);
      members.push(...page.members);
      if (page.nextCursor === null) return members;
      cursor = page.nextCursor;
    }
    throw new Error('paging never ended');
  }

  it('sums the counts of the gateways of a room', async () => {
    const presence = store();
    const a = gateway('gw-a', presence);
    const b = gateway('gw-b', presence);
    a.tracker.join(roomId, 's1', user(1));
    a.tracker.join(roomId, 's2', user(2));
    b.tracker.join(roomId, 's3', user(3));
    await a.flush(T0);
    await b.flush(T0);

    expect(await presence.online(roomId, T0 + 1)).toEqual({ roomId, count: 3, peak: 3, viewersEver: 3 });
    expect(await presence.online('nobody-here', T0)).toEqual({
      roomId: 'nobody-here',
      count: 0,
      peak: 0,
      viewersEver: 0,
    });
  });

  it('drops a gateway that stops flushing once its lease is over', async () => {
    const presence = store();
    const a = gateway('gw-a', presence);
    const b = gateway('gw-b', presence);
    a.tracker.join(roomId, 's1', user(1));
    b.tracker.join(roomId, 's2', user(2));
    await a.flush(T0);
    await b.flush(T0);

    await a.flush(T0 + 2000);
    expect((await presence.online(roomId, T0 + LEASE_MS - 1)).count).toBe(2);
    const later = await presence.online(roomId, T0 + LEASE_MS);
    expect(later).toMatchObject({ count: 1, peak: 2 });
    expect(await test.redis.hkeys(test.keys.tagged(roomId, 'online'))).toEqual(['gw-a']);
    expect(await allMembers(presence, T0 + LEASE_MS)).toEqual([user(1)]);
  });

  it('keeps the highest count seen as the peak', async () => {
    const presence = store();
    const a = gateway('gw-a', presence);
    for (let i = 0; i < 5; i++) a.tracker.join(roomId, `s${i}`, user(i));
    await a.flush(T0);
    expect(await presence.online(roomId, T0)).toMatchObject({ count: 5, peak: 5 });

    for (let i = 0; i < 3; i++) a.tracker.leave(roomId, `s${i}`, user(i).userId);
    await a.flush(T0 + 1000);
    expect(await presence.online(roomId, T0 + 1000)).toMatchObject({ count: 2, peak: 5, viewersEver: 5 });
  });

  it('counts viewers-ever once per user across gateways and visits', async () => {
    const presence = store();
    const a = gateway('gw-a', presence);
    const b = gateway('gw-b', presence);
    a.tracker.join(roomId, 's1', user(1));
    a.tracker.join(roomId, 's2', user(2));
    b.tracker.join(roomId, 's3', user(2));
    b.tracker.join(roomId, 's4', user(3));
    await a.flush(T0);
    await b.flush(T0);
    a.tracker.leave(roomId, 's1', user(1).userId);
    a.tracker.join(roomId, 's5', user(1));
    await a.flush(T0 + 1000);

    expect(await presence.online(roomId, T0 + 1000)).toMatchObject({ count: 4, viewersEver: 3 });
  });

  it('pages every member exactly once across shards and gateways, duplicates listed once', async () => {
    const presence = store({ listPageSize: 7 });
    const a = gateway('gw-a', presence);
    const b = gateway('gw-b', presence);
    const users = Array.from({ length: 120 }, (_, i) => user(i));
    users.forEach((member, i) => {
      if (i < 80) a.tracker.join(roomId, `a${i}`, member);
      if (i >= 60) b.tracker.join(roomId, `b${i}`, member);
    });
    await a.flush(T0);
    await b.flush(T0);

    const listed = await allMembers(presence, T0 + 1);
    expect(listed).toHaveLength(120);
    expect(new Set(listed.map((m) => m.userId)).size).toBe(120);
    expect([...listed].sort((x, y) => x.userId.localeCompare(y.userId))).toEqual(users);
    // Shard by shard, each sorted by userId.
    const shards = listed.map((m) => memberShard(m.userId, 16));
    expect(shards).toEqual([...shards].sort((x, y) => x - y));
    for (let i = 1; i < listed.length; i++) {
      if (shards[i] === shards[i - 1]) expect(listed[i - 1].userId < listed[i].userId).toBe(true);
    }

    const first = await presence.members(roomId, undefined, T0 + 1);
    expect(first.members).toHaveLength(7);
    expect(first.nextCursor).toMatch(/^\d+:\d+$/);
  });

  it('lists members of live gateways only', async () => {
    const presence = store();
    const a = gateway('gw-a', presence);
    const b = gateway('gw-b', presence);
    a.tracker.join(roomId, 's1', user(1));
    b.tracker.join(roomId, 's2', user(2));
    await a.flush(T0);
    await b.flush(T0 + 1000);

    // gw-a's sets still exist in Redis (real-time TTL), but its lease is over at this `now`.
    expect(await allMembers(presence, T0 + LEASE_MS + 1)).toEqual([user(2)]);
    expect(await presence.members(roomId, undefined, T0 + LEASE_MS + 5000)).toEqual({
      roomId,
      members: [],
      nextCursor: null,
    });
  });

  it('applies incremental changes and clears a room emptied on a gateway', async () => {
    const presence = store();
    const a = gateway('gw-a', presence);
    a.tracker.join(roomId, 's1', user(1));
    a.tracker.join(roomId, 's2', user(2));
    await a.flush(T0);
    a.tracker.leave(roomId, 's1', user(1).userId);
    a.tracker.join(roomId, 's3', user(3));
    a.tracker.leave(roomId, 's2', user(2).userId);
    a.tracker.join(roomId, 's4', { userId: user(2).userId, nickname: 'Renamed' });
    await a.flush(T0 + 1000);
    const listed = await allMembers(presence, T0 + 1000);
    expect(listed.sort((x, y) => x.userId.localeCompare(y.userId))).toEqual([
      { userId: user(2).userId, nickname: 'Renamed' },
      user(3),
    ]);

    a.tracker.leave(roomId, 's3', user(3).userId);
    a.tracker.leave(roomId, 's4', user(2).userId);
    await a.flush(T0 + 2000);
    expect(await test.keysMatching(`${test.keys.tagged(roomId, 'members')}*`)).toEqual([]);
    expect(await test.redis.hlen(test.keys.tagged(roomId, 'online'))).toBe(0);
    expect(await presence.online(roomId, T0 + 2000)).toMatchObject({ count: 0, viewersEver: 3 });
  });

  it('rewrites a room whole after a failed flush', async () => {
    const presence = store();
    const a = gateway('gw-a', presence);
    a.tracker.join(roomId, 's1', user(1));
    await a.flush(T0);
    a.tracker.join(roomId, 's2', user(2));
    a.tracker.restore(a.tracker.drain()); // as if that flush had failed
    // A stray entry the lost flush might have left behind is gone after the resync.
    await test.redis.sadd(
      test.keys.tagged(roomId, 'members', String(memberShard('u_stray000', 16)), 'gw-a'),
      'u_stray000\tStray',
    );
    await a.flush(T0 + 1000);

    const listed = await allMembers(presence, T0 + 1000);
    expect(listed.map((m) => m.userId).sort()).toEqual([user(1).userId, user(2).userId]);
    expect(await presence.online(roomId, T0 + 1000)).toMatchObject({ count: 2, viewersEver: 2 });
  });

  it('rejects an incremental flush after the lease lapsed, and the resync that follows repairs it', async () => {
    const presence = store();
    const a = gateway('gw-a', presence);
    a.tracker.join(roomId, 's1', user(1));
    await a.flush(T0);
    // The gateway stalled past its lease and its member sets expired meanwhile.
    await test.redis.del(
      test.keys.tagged(roomId, 'members', String(memberShard(user(1).userId, 16)), 'gw-a'),
    );
    a.tracker.join(roomId, 's2', user(2));

    const lapsed = await a.flush(T0 + LEASE_MS + 1).catch((error: unknown) => error);
    expect(lapsed).toBeInstanceOf(RpcError);
    expect((lapsed as RpcError).details).toEqual({ roomIds: [roomId] });

    await a.flush(T0 + LEASE_MS + 1000);
    const listed = await allMembers(presence, T0 + LEASE_MS + 1000);
    expect(listed.map((m) => m.userId).sort()).toEqual([user(1).userId, user(2).userId]);
  });

  it('lets member sets and the online hash expire in real time when the gateway dies', async () => {
    const presence = store({ leaseMs: 150 });
    const a = gateway('gw-a', presence);
    a.tracker.join(roomId, 's1', user(1));
    await a.flush(Date.now());
    expect(await test.keysMatching(`${test.keys.tagged(roomId, '')}*`)).toHaveLength(3); // online, uv, one set

    // Redis expires them by itself once the lease lapses; only the day's UV set outlives it.
    await waitFor(async () => (await test.keysMatching(`${test.keys.tagged(roomId, '')}*`)).length === 1, {
      timeoutMs: 10_000,
      what: 'the member set and the online hash to expire',
    });
    expect(await test.keysMatching(`${test.keys.tagged(roomId, '')}*`)).toEqual([
      test.keys.tagged(roomId, 'uv'),
    ]);
  });

  it('withdraws a gateway from rooms at once', async () => {
    const presence = store();
    const a = gateway('gw-a', presence);
    const b = gateway('gw-b', presence);
    const otherRoom = `${roomId}-other`;
    a.tracker.join(roomId, 's1', user(1));
    a.tracker.join(otherRoom, 's1', user(1));
    b.tracker.join(roomId, 's2', user(2));
    await a.flush(T0);
    await b.flush(T0);

    await presence.withdraw('gw-a', [roomId, otherRoom]);
    expect(await presence.onlineMany([roomId, otherRoom], T0 + 1)).toEqual([
      // The peak follows the counts read, and no one read these rooms before.
      { roomId, count: 1, peak: 1, viewersEver: 2 },
      { roomId: otherRoom, count: 0, peak: 0, viewersEver: 1 },
    ]);
    expect(await allMembers(presence, T0 + 1)).toEqual([user(2)]);
    expect(await test.keysMatching(`${test.keys.tagged(roomId, 'members')}*gw-a`)).toEqual([]);
    await presence.withdraw('gw-a', []);
  });

  it('keeps at most memberCapPerShard entries per gateway and shard even if the tracker lists more', async () => {
    const presence = store({ shards: 1, memberCapPerShard: 2 });
    const a = gateway('gw-a', presence, { shards: 1, memberCapPerShard: 10 });
    for (let i = 0; i < 5; i++) a.tracker.join(roomId, `s${i}`, user(i));
    await a.flush(T0);
    expect(await allMembers(presence, T0)).toHaveLength(2);
    expect((await presence.online(roomId, T0)).count).toBe(5);
  });

  it('answers a bad cursor or gateway id with INVALID_ARGUMENT', async () => {
    const presence = store();
    for (const cursor of [
      '',
      'abc',
      '1',
      '1:x',
      '-1:0',
      '16:0',
      '99999999999999999999:0',
      '0:99999999999999999999',
    ]) {
      await expect(presence.members(roomId, cursor, T0)).rejects.toMatchObject({
        code: ErrorCode.INVALID_ARGUMENT,
      });
    }
    await expect(presence.flush('gw{x}', [], T0)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(presence.withdraw('', [roomId])).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('rejects bad options at construction', () => {
    expect(() => store({ leaseMs: 0 })).toThrow(RangeError);
    expect(() => store({ listPageSize: -1 })).toThrow(RangeError);
  });
});
