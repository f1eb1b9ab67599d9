import type { NodeLoad } from '@live-im/contracts';
import { counterDelta, laneCounts, laneRates } from './lane-rates';
import { NodeRates } from './node-rates';

function load(fields: Partial<NodeLoad> = {}): NodeLoad {
  return {
    msgsIn: 0,
    msgsOut: 0,
    batchesOut: 0,
    importantIn: 0,
    normalIn: 0,
    droppedCap: 0,
    noSubscriber: 0,
    malformed: 0,
    rooms: 0,
    subscriptions: 0,
    ...fields,
  };
}

describe('lane rates', () => {
  it('maps the heartbeat counters to lanes: drops are capped plus unsubscribed', () => {
    expect(
      laneCounts(
        load({ importantIn: 1, normalIn: 2, msgsOut: 3, droppedCap: 4, noSubscriber: 5, malformed: 6 }),
      ),
    ).toEqual({ importantIn: 1, normalIn: 2, out: 3, drops: 9, malformed: 6 });
  });

  it('takes a falling counter for a restart: the new count, never a negative delta', () => {
    expect(counterDelta(100, 150)).toBe(50);
    expect(counterDelta(100, 100)).toBe(0);
    expect(counterDelta(100, 7)).toBe(7);
    expect(counterDelta(100, 0)).toBe(0);
  });

  it('divides each delta by the time between the two readings', () => {
    const before = laneCounts(load({ importantIn: 10, normalIn: 100, msgsOut: 1000 }));
    const after = laneCounts(load({ importantIn: 15, normalIn: 300, msgsOut: 400, droppedCap: 3 }));
    expect(laneRates(before, after, 500)).toEqual({
      importantIn: 10,
      normalIn: 400,
      out: 800,
      drops: 6,
      malformed: 0,
    });
    expect(laneRates(before, after, 0)).toEqual({
      importantIn: 0,
      normalIn: 0,
      out: 0,
      drops: 0,
      malformed: 0,
    });
  });
});

describe('NodeRates', () => {
  it('starts from a baseline, rates between heartbeats, and repeats a rate until a newer load comes', () => {
    const rates = new NodeRates();
    expect(rates.update('bn-1', load({ normalIn: 5000 }), 1000).normalIn).toBe(0);
    expect(rates.update('bn-1', load({ normalIn: 5250 }), 1250).normalIn).toBe(1000);
    // Sampled again before the next heartbeat: the same rate, not zero.
    expect(rates.update('bn-1', load({ normalIn: 5250 }), 1250).normalIn).toBe(1000);
    expect(rates.update('bn-1', load({ normalIn: 5500 }), 2250).normalIn).toBe(250);
  });

  it('survives a node restart between heartbeats, and starts over for a node that was gone', () => {
    const rates = new NodeRates();
    rates.update('bn-1', load({ msgsOut: 90_000 }), 0);
    expect(rates.update('bn-1', load({ msgsOut: 40 }), 1000).out).toBe(40);
    rates.retain(new Set());
    expect(rates.update('bn-1', load({ msgsOut: 500 }), 2000).out).toBe(0);
    expect(rates.update('bn-1', load({ msgsOut: 700 }), 3000).out).toBe(200);
  });
});
