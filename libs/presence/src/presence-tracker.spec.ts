import { memberShard } from './member-shard';
import { PresenceMember, RoomPresenceDelta } from './presence-delta';
import { PresenceTracker } from './presence-tracker';

const alice: PresenceMember = { userId: 'u_alice01', nickname: 'Alice' };
const bob: PresenceMember = { userId: 'u_bob0001', nickname: 'Bob' };
const carol: PresenceMember = { userId: 'u_carol01', nickname: 'Carol' };

function deltaOf(deltas: RoomPresenceDelta[], roomId: string): RoomPresenceDelta {
  const delta = deltas.find((d) => d.roomId === roomId);
  if (!delta) throw new Error(`no delta for ${roomId}`);
  return delta;
}

const ids = (members: PresenceMember[]) => members.map((m) => m.userId).sort();

describe('PresenceTracker', () => {
  it('counts a user with several sockets once and reports first and last socket', () => {
    const tracker = new PresenceTracker();
    expect(tracker.join('r1', 's1', alice)).toBe(true);
    expect(tracker.join('r1', 's2', alice)).toBe(false);
    expect(tracker.join('r1', 's2', alice)).toBe(false);
    expect(tracker.join('r1', 's3', bob)).toBe(true);
    expect(tracker.count('r1')).toBe(2);
    expect(tracker.socketsOf('r1', alice.userId).sort()).toEqual(['s1', 's2']);

    expect(tracker.leave('r1', 's1', alice.userId)).toBe(false);
    expect(tracker.count('r1')).toBe(2);
    expect(tracker.leave('r1', 's2', alice.userId)).toBe(true);
    expect(tracker.leave('r1', 's2', alice.userId)).toBe(false);
    expect(tracker.count('r1')).toBe(1);
    expect(tracker.socketsOf('r1', alice.userId)).toEqual([]);
  });

  it('ignores a leave naming another user than the socket joined as', () => {
    const tracker = new PresenceTracker();
    tracker.join('r1', 's1', alice);
    expect(tracker.leave('r1', 's1', bob.userId)).toBe(false);
    expect(tracker.count('r1')).toBe(1);
  });

  it('keeps one socket id per user until a second socket joins, and back', () => {
    const tracker = new PresenceTracker();
    tracker.join('r1', 's1', alice);
    tracker.join('r1', 's2', alice);
    tracker.join('r1', 's3', alice);
    expect(tracker.leave('r1', 's2', alice.userId)).toBe(false);
    expect(tracker.socketsOf('r1', alice.userId).sort()).toEqual(['s1', 's3']);
    expect(tracker.leave('r1', 's1', alice.userId)).toBe(false);
    expect(tracker.socketsOf('r1', alice.userId)).toEqual(['s3']);
    expect(tracker.leave('r1', 's1', alice.userId)).toBe(false);
    expect(tracker.leave('r1', 's3', alice.userId)).toBe(true);
    expect(tracker.count('r1')).toBe(0);
  });

  it('drains a room whole the first time, then only what changed', () => {
    const tracker = new PresenceTracker();
    tracker.join('r1', 's1', alice);
    tracker.join('r1', 's2', bob);

    const first = deltaOf(tracker.drain(), 'r1');
    expect(first).toMatchObject({ count: 2, resync: true, left: [] });
    expect(ids(first.joined)).toEqual([alice.userId, bob.userId]);
    expect(ids(first.members)).toEqual([alice.userId, bob.userId]);
    expect(first.arrived.sort()).toEqual([alice.userId, bob.userId]);

    tracker.leave('r1', 's1', alice.userId);
    tracker.join('r1', 's3', carol);
    const second = deltaOf(tracker.drain(), 'r1');
    expect(second).toEqual({
      roomId: 'r1',
      count: 2,
      joined: [carol],
      left: [alice],
      members: [],
      resync: false,
      arrived: [carol.userId],
      listedShards: second.listedShards,
    });

    // Nothing changed: the room is still reported, so its lease is refreshed.
    const idle = deltaOf(tracker.drain(), 'r1');
    expect(idle).toMatchObject({ count: 2, joined: [], left: [], arrived: [], resync: false });
  });

  it('nets out a user who left and came back between drains', () => {
    const tracker = new PresenceTracker();
    tracker.join('r1', 's1', alice);
    tracker.drain();
    tracker.leave('r1', 's1', alice.userId);
    tracker.join('r1', 's2', alice);
    expect(deltaOf(tracker.drain(), 'r1')).toMatchObject({
      count: 1,
      joined: [],
      left: [],
      arrived: [alice.userId],
    });

    // Back under a new nickname: the old entry goes, the new one comes.
    tracker.leave('r1', 's2', alice.userId);
    tracker.join('r1', 's3', { userId: alice.userId, nickname: 'Alice2' });
    expect(deltaOf(tracker.drain(), 'r1')).toMatchObject({
      joined: [{ userId: alice.userId, nickname: 'Alice2' }],
      left: [alice],
    });
  });

  it('reports an emptied room once with count 0, then forgets it', () => {
    const tracker = new PresenceTracker();
    tracker.join('r1', 's1', alice);
    tracker.drain();
    tracker.leave('r1', 's1', alice.userId);
    expect(tracker.rooms()).toEqual([]);

    expect(tracker.drain()).toEqual([
      {
        roomId: 'r1',
        count: 0,
        joined: [],
        left: [alice],
        members: [],
        resync: false,
        arrived: [],
        listedShards: [],
      },
    ]);
    expect(tracker.drain()).toEqual([]);
  });

  it('reports a room visited and left within one interval, for viewers-ever', () => {
    const tracker = new PresenceTracker();
    tracker.join('r1', 's1', alice);
    tracker.leave('r1', 's1', alice.userId);
    expect(tracker.drain()).toEqual([
      {
        roomId: 'r1',
        count: 0,
        joined: [],
        left: [],
        members: [],
        resync: true,
        arrived: [alice.userId],
        listedShards: [],
      },
    ]);
    expect(tracker.drain()).toEqual([]);
  });

  it('after restore the next drain rewrites the room whole and keeps its arrivals', () => {
    const tracker = new PresenceTracker();
    tracker.join('r1', 's1', alice);
    tracker.drain();
    tracker.join('r1', 's2', bob);
    const failed = tracker.drain();
    tracker.restore(failed);

    const retried = deltaOf(tracker.drain(), 'r1');
    expect(retried.resync).toBe(true);
    expect(ids(retried.members)).toEqual([alice.userId, bob.userId]);
    expect(retried.arrived).toEqual([bob.userId]);
    expect(deltaOf(tracker.drain(), 'r1').resync).toBe(false);
  });

  it('brings an emptied room back on restore so its entries get cleared', () => {
    const tracker = new PresenceTracker();
    tracker.join('r1', 's1', alice);
    tracker.drain();
    tracker.leave('r1', 's1', alice.userId);
    tracker.restore(tracker.drain());

    expect(tracker.drain()).toEqual([
      {
        roomId: 'r1',
        count: 0,
        joined: [],
        left: [],
        members: [],
        resync: true,
        arrived: [],
        listedShards: [],
      },
    ]);
    expect(tracker.drain()).toEqual([]);
  });

  it('caps the listed members per shard, counts the rest and promotes them into freed slots', () => {
    const tracker = new PresenceTracker({ shards: 1, memberCapPerShard: 2 });
    tracker.join('r1', 's1', alice);
    tracker.join('r1', 's2', bob);
    expect(tracker.join('r1', 's3', carol)).toBe(true);
    expect(tracker.count('r1')).toBe(3);

    const first = deltaOf(tracker.drain(), 'r1');
    expect(first.count).toBe(3);
    expect(ids(first.members)).toEqual([alice.userId, bob.userId]);
    expect(first.arrived.sort()).toEqual([alice.userId, bob.userId, carol.userId]);
    expect(first.listedShards).toEqual([0]);

    tracker.leave('r1', 's1', alice.userId);
    expect(deltaOf(tracker.drain(), 'r1')).toMatchObject({ count: 2, left: [alice], joined: [carol] });

    // An unlisted user leaving changes the count only.
    tracker.join('r1', 's4', alice);
    tracker.drain();
    tracker.leave('r1', 's4', alice.userId);
    expect(deltaOf(tracker.drain(), 'r1')).toMatchObject({ count: 2, left: [], joined: [] });
  });

  it('caps each shard on its own', () => {
    const shards = 4;
    const tracker = new PresenceTracker({ shards, memberCapPerShard: 1 });
    const users = Array.from({ length: 40 }, (_, i) => ({
      userId: `u_user${String(i).padStart(4, '0')}`,
      nickname: `n${i}`,
    }));
    users.forEach((user, i) => tracker.join('r1', `s${i}`, user));

    const delta = deltaOf(tracker.drain(), 'r1');
    expect(delta.count).toBe(40);
    const perShard = new Map<number, number>();
    for (const member of delta.members) {
      const shard = memberShard(member.userId, shards);
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    }
    expect([...perShard.values()].every((n) => n === 1)).toBe(true);
    expect(delta.listedShards).toEqual([...perShard.keys()].sort());
  });

  it('rejects a bad option at construction', () => {
    expect(() => new PresenceTracker({ shards: 0 })).toThrow(RangeError);
    expect(() => new PresenceTracker({ memberCapPerShard: 1.5 })).toThrow(RangeError);
  });
});
