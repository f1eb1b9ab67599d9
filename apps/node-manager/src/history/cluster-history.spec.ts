import { ClusterSeries, type NodeLoad, type SubscriberLoad } from '@live-im/contracts';
import type { Member } from '../membership/member';
import { ClusterHistory } from './cluster-history';

const DEAD_AFTER_MS = 3000;

function member(id: string, kind: Member['kind'], fields: Partial<Member> = {}): Member {
  return {
    id,
    kind,
    region: 'home',
    pull: null,
    pub: null,
    routingId: Buffer.from(id),
    registeredAt: 0,
    state: 'active',
    stateSince: 0,
    lastSeen: 0,
    load: null,
    subscriberLoad: null,
    loadAt: null,
    connected: new Set(),
    heartbeats: 0,
    ...fields,
  };
}

function nodeLoad(normalIn: number, msgsOut: number, droppedCap = 0): NodeLoad {
  return {
    msgsIn: normalIn,
    msgsOut,
    batchesOut: 0,
    importantIn: 0,
    normalIn,
    droppedCap,
    noSubscriber: 0,
    malformed: 0,
    rooms: 1,
    subscriptions: 1,
  };
}

function viewersOf(viewers: number, roomId = 'room-a'): SubscriberLoad {
  return { connections: viewers, rooms: 1, viewers, topRooms: [{ roomId, viewers }] };
}

describe('ClusterHistory', () => {
  let history: ClusterHistory;

  beforeEach(() => {
    history = new ClusterHistory({
      intervalMs: 1000,
      capacity: 5,
      loadMaxAgeMs: DEAD_AFTER_MS,
      keepDepartedMs: 60_000,
      maxDeparted: 10,
    });
  });

  it('charts per-node rates by lane, and totals over broadcast nodes only (relays republish)', () => {
    const bn1 = member('bn-1', 'broadcast', { load: nodeLoad(100, 1000), loadAt: 0 });
    const relay = member('relay-1', 'relay', { load: nodeLoad(100, 100), loadAt: 0 });
    history.sample([bn1, relay], 0, 1_000_000);
    bn1.load = nodeLoad(300, 1600, 5);
    bn1.loadAt = 1000;
    relay.load = nodeLoad(150, 150);
    relay.loadAt = 1000;
    const bn2 = member('bn-2', 'broadcast', { load: nodeLoad(0, 0), loadAt: 1000 });
    history.sample([bn1, relay, bn2], 1000, 1_001_000);

    const series = history.series();
    expect(ClusterSeries.parse(series)).toEqual(series);
    expect(series.at).toEqual([1_000_000, 1_001_000]);
    expect(series.total.normalIn).toEqual([0, 200]);
    expect(series.total.out).toEqual([0, 600]);
    expect(series.total.drops).toEqual([0, 5]);
    expect(series.nodes.map((n) => [n.id, n.kind])).toEqual([
      ['bn-1', 'broadcast'],
      ['bn-2', 'broadcast'],
      ['relay-1', 'relay'],
    ]);
    // bn-2 was not there in the first sample: null, not zero.
    expect(series.nodes[1].rates.normalIn).toEqual([null, 0]);
    expect(series.nodes[2].rates.out).toEqual([0, 50]);
    expect(history.latestRates('bn-1')).toMatchObject({ normalIn: 200, out: 600 });
  });

  it('reads a node restart (counters fell) as what came since, not a negative rate', () => {
    const bn1 = member('bn-1', 'broadcast', { load: nodeLoad(10_000, 50_000), loadAt: 0 });
    history.sample([bn1], 0, 0);
    bn1.load = nodeLoad(30, 80);
    bn1.loadAt = 1000;
    history.sample([bn1], 1000, 1000);
    expect(history.series().total.normalIn).toEqual([0, 30]);
    expect(history.series().total.out).toEqual([0, 80]);
  });

  it('counts only loads younger than DEAD_AFTER_MS, and keeps the last `capacity` samples', () => {
    const gw1 = member('gw-1', 'subscriber', { subscriberLoad: viewersOf(4), loadAt: 0 });
    const gw2 = member('gw-2', 'subscriber', { subscriberLoad: viewersOf(3, 'room-b'), loadAt: 0 });
    for (let t = 0; t <= 6000; t += 1000) {
      gw1.loadAt = t;
      history.sample([gw1, gw2], t, t);
    }
    const series = history.series();
    expect(series.at).toEqual([2000, 3000, 4000, 5000, 6000]);
    expect(series.total.viewers).toEqual([7, 7, 4, 4, 4]);
    expect(history.audience([gw1, gw2], 6000).topRooms).toEqual([{ roomId: 'room-a', viewers: 4 }]);
    expect(history.audience([gw1, gw2], 0).topRooms).toEqual([
      { roomId: 'room-a', viewers: 4 },
      { roomId: 'room-b', viewers: 3 },
    ]);
  });

  it('lists members that left until they come back', () => {
    const bn1 = member('bn-1', 'broadcast', { state: 'active' });
    const gw1 = member('gw-1', 'subscriber', { region: 'eu-west' });
    history.sample([bn1, gw1], 0, 0);
    history.sample([gw1], 1000, 1000);
    history.sample([], 2000, 2000);
    expect(history.departed(2500)).toEqual([
      { id: 'gw-1', kind: 'subscriber', region: 'eu-west', lastState: 'active', goneForMs: 500 },
      { id: 'bn-1', kind: 'broadcast', region: 'home', lastState: 'active', goneForMs: 1500 },
    ]);
    history.sample([member('bn-1', 'broadcast', { state: 'joining' })], 3000, 3000);
    expect(history.departed(3000).map((d) => d.id)).toEqual(['gw-1']);
    expect(history.departed(62_001)).toEqual([]);
  });
});
