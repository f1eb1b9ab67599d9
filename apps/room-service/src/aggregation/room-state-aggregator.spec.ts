import type { RoomState } from '@live-im/broadcast';
import { liveRoomShard, PresenceStore, type RoomPresenceDelta } from '@live-im/presence';
import { TestRedis } from '@live-im/testing';
import { AggregationLeases } from './aggregation-leases';
import { type AggregationRound, RoomStateAggregator } from './room-state-aggregator';

const LEASE_MS = 2000;

function delta(roomId: string, users: string[]): RoomPresenceDelta {
  const members = users.map((userId) => ({ userId, nickname: userId }));
  return {
    roomId,
    count: users.length,
    joined: [],
    left: [],
    members,
    resync: true,
    arrived: users,
    listedShards: [],
  };
}

describe('RoomStateAggregator (real Redis)', () => {
  const t = new TestRedis('agg-rooms');
  const presence = new PresenceStore(t.redis, t.keys, { leaseMs: LEASE_MS });
  const seqKeys = (roomId: string): [string, string] => [
    t.keys.tagged(roomId, 'seq', 'normal'),
    t.keys.tagged(roomId, 'seq', 'important'),
  ];
  const published: RoomState[][] = [];
  const rounds: AggregationRound[] = [];
  const failures: unknown[] = [];
  const aggregatorOf = (workerId: string): RoomStateAggregator =>
    new RoomStateAggregator(
      new AggregationLeases(t.redis, t.keys, { workerId, leaseMs: LEASE_MS }),
      presence,
      seqKeys,
      {
        publishStates: (states) => {
          published.push([...states]);
          return states.length;
        },
      },
      { round: (round) => rounds.push(round), failed: (error) => failures.push(error) },
    );

  afterAll(() => t.cleanup());

  it('publishes each live room once per round: the sum over gateways and the latest seqs', async () => {
    const now = Date.now();
    // Room A on three gateways (one user on two of them), room B on one; room C's gateway left.
    await presence.flush('gw-1', [delta('room-a', ['u1', 'u2']), delta('room-b', ['u9'])], now);
    await presence.flush('gw-2', [delta('room-a', ['u2', 'u3'])], now);
    await presence.flush('gw-3', [delta('room-a', ['u4'])], now);
    await t.redis.set(seqKeys('room-a')[0], '41');
    await t.redis.set(seqKeys('room-a')[1], '7');

    const aggregator = aggregatorOf('worker-1');
    const round = await aggregator.round(now);
    expect(failures).toEqual([]);
    expect(round).toMatchObject({ rooms: 2, published: 2 });
    const states = published.flat().sort((x, y) => x.roomId.localeCompare(y.roomId));
    expect(states).toEqual([
      { roomId: 'room-a', count: 5, peak: 5, viewersEver: 4, normalSeq: 41, importantSeq: 7 },
      { roomId: 'room-b', count: 1, peak: 1, viewersEver: 1, normalSeq: 0, importantSeq: 0 },
    ]);

    // A gateway that stops flushing leaves the sum when its lease ends; an empty room leaves the index.
    const later = now + LEASE_MS + 1;
    await presence.flush('gw-1', [delta('room-a', ['u1', 'u2'])], later - 10);
    published.length = 0;
    await aggregator.round(later);
    expect(published.flat()).toEqual([
      { roomId: 'room-a', count: 2, peak: 5, viewersEver: 4, normalSeq: 41, importantSeq: 7 },
    ]);
    expect(await t.redis.zrange(presence.liveRoomsKey(liveRoomShard('room-b')), 0, -1)).toEqual([]);
    await aggregator.release();
  });

  it('skips a round while the previous one still runs', async () => {
    const aggregator = aggregatorOf('worker-2');
    const [first, second] = await Promise.all([aggregator.round(Date.now()), aggregator.round(Date.now())]);
    expect(first).toBeDefined();
    expect(second).toBeUndefined();
    await aggregator.release();
  });
});
