import { TestRedis } from '@live-im/testing';
import { AggregationLeases } from './aggregation-leases';

const SHARDS = 8;
const LEASE_MS = 1000;

describe('AggregationLeases (real Redis)', () => {
  const t = new TestRedis('agg-leases');
  const leasesOf = (workerId: string): AggregationLeases =>
    new AggregationLeases(t.redis, t.keys, { workerId, leaseMs: LEASE_MS, shards: SHARDS });

  afterAll(() => t.cleanup());

  it('shares the shards evenly, and a dead worker hands its shards on once its lease runs out', async () => {
    const a = leasesOf('worker-a');
    const b = leasesOf('worker-b');

    const alone = await a.renew(Date.now());
    expect(alone).toMatchObject({ acquired: SHARDS, lost: 0, workers: 1 });
    expect(alone.held).toHaveLength(SHARDS);

    // b registers and finds nothing free; a hands back its excess; b takes it at its next round.
    expect((await b.renew(Date.now())).held).toEqual([]);
    const handedBack = await a.renew(Date.now());
    expect(handedBack).toMatchObject({ released: SHARDS / 2, workers: 2 });
    const taken = await b.renew(Date.now());
    expect(taken.acquired).toBe(SHARDS / 2);
    expect([...a.heldShards, ...b.heldShards].sort((x, y) => x - y)).toEqual(
      Array.from({ length: SHARDS }, (_, i) => i),
    );

    // b dies (stops renewing) while a goes on: once b's lease and registration ran out, a holds everything.
    let acquired = 0;
    let lost = 0;
    const deadline = Date.now() + LEASE_MS + 300;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 4));
      const round = await a.renew(Date.now());
      acquired += round.acquired;
      lost += round.lost;
    }
    expect({ acquired, lost }).toEqual({ acquired: SHARDS / 2, lost: 0 });
    expect(a.heldShards).toHaveLength(SHARDS);

    // b comes back believing it still holds its shards: they are a's now, so b counts them lost.
    const back = await b.renew(Date.now());
    expect(back.lost).toBe(SHARDS / 2);
    expect(back.acquired).toBe(0);
  });

  it('renews what it holds, and hands everything back on releaseAll', async () => {
    // The first test's workers are gone once their leases ran out.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 200));
    const c = leasesOf('worker-c');
    expect((await c.renew(Date.now())).held).toHaveLength(SHARDS);
    // Rounds within the lease keep every shard, however long it runs.
    for (let i = 0; i < 3; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 4));
      expect(await c.renew(Date.now())).toMatchObject({ lost: 0, acquired: 0, workers: 1 });
    }
    await c.releaseAll();
    expect(c.heldShards).toEqual([]);
    // At once, not a lease later: the next worker takes them all.
    const d = leasesOf('worker-d');
    expect(await d.renew(Date.now())).toMatchObject({ acquired: SHARDS, workers: 1 });
    await d.releaseAll();
  });
});
