import { ErrorCode, UserRpc } from '@live-im/contracts';
import type { RpcClient } from '@live-im/zmq-transport';
import { LoadRun, summarize } from './support/load';
import { BrokerNode, RpcCluster } from './support/rpc-cluster';
import { seedUsers, userCallPlan, type SeededUser } from './support/user-calls';

const CAPACITY = 16;

describe('user-service workers behind one broker', () => {
  const cluster = new RpcCluster('user-workers');
  let broker: BrokerNode;
  let client: RpcClient;
  let users: SeededUser[];

  beforeAll(async () => {
    broker = await cluster.startBroker();
    await Promise.all([
      cluster.startUserService({ capacity: CAPACITY }),
      cluster.startUserService({ capacity: CAPACITY }),
    ]);
    client = cluster.client();
    users = await seedUsers(client, 8);
  });

  afterAll(() => cluster.close());

  /** Two workers again, whatever the previous test left. */
  async function twoWorkers(): Promise<void> {
    while (cluster.liveUserServices.length < 2) await cluster.startUserService({ capacity: CAPACITY });
    await cluster.waitForWorkers(
      broker,
      'user',
      cluster.liveUserServices.map((p) => cluster.instanceOf(p)),
    );
  }

  it('spreads 2,000 concurrent calls over both workers, all succeeding', async () => {
    await twoWorkers();
    const before = new Map((await cluster.workersOf(broker, 'user')).map((w) => [w.instance, w.served]));

    const results = await Promise.allSettled(
      Array.from({ length: 2000 }, (_, i) =>
        i % 2 === 0
          ? client.call(UserRpc.guest.pattern, {}, { idempotent: true, timeoutMs: 30_000 })
          : client.call(
              UserRpc.getProfile.pattern,
              { userId: users[i % users.length].userId },
              { idempotent: true, timeoutMs: 30_000 },
            ),
      ),
    );

    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.map((r) => String(r.reason))).toEqual([]);
    const workers = await cluster.workersOf(broker, 'user');
    expect(workers).toHaveLength(2);
    const served = workers.map((w) => w.served - (before.get(w.instance) ?? 0));
    expect(served.reduce((a, b) => a + b, 0)).toBe(2000);
    for (const n of served) expect(n).toBeGreaterThan(0);
    expect(client.inFlight).toBe(0);
  });

  it('kill -9 of a worker under load fails only non-idempotent calls it held, with WORKER_LOST', async () => {
    await twoWorkers();
    const [victim, survivor] = cluster.liveUserServices;
    if (!victim || !survivor) throw new Error('two user-services expected');
    const victimInstance = cluster.instanceOf(victim);
    const { counters: before } = await cluster.stats(broker);

    const load = new LoadRun(
      client,
      userCallPlan(users, { registerEvery: 7, loginEvery: 11, timeoutMs: 30_000 }),
      {
        concurrency: 96,
        maxCalls: 20_000,
      },
    );
    await load.progress(300);
    // Kill it while it holds requests, non-idempotent ones included whenever the load has them.
    let victimInFlight = 0;
    for (let attempt = 0; attempt < 200 && victimInFlight === 0; attempt += 1) {
      const victimStats = (await cluster.workersOf(broker, 'user')).find(
        (w) => w.instance === victimInstance,
      );
      victimInFlight = victimStats?.inFlight ?? 0;
    }
    expect(victimInFlight).toBeGreaterThan(0);
    await victim.kill();
    await cluster.waitForWorkers(broker, 'user', [cluster.instanceOf(survivor)]);
    await load.progress(300);
    const outcomes = await load.stop();

    const failures = outcomes.filter((o) => !o.ok);
    const idempotentFailures = failures.filter((o) => o.call.idempotent);
    expect(summarize(idempotentFailures)).toEqual({});
    for (const failure of failures) {
      expect(failure.call.pattern).toBe(UserRpc.register.pattern);
      expect(failure.code).toBe(ErrorCode.WORKER_LOST);
    }
    const { counters: after } = await cluster.stats(broker);
    expect(failures.length).toBe(after.workerLost - before.workerLost);
    // What the dead worker held that was idempotent went to the survivor.
    expect(after.redispatched - before.redispatched).toBeGreaterThan(0);
    expect(failures.length).toBeLessThanOrEqual(CAPACITY);
    expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(500);
  });

  // Two replacements boot while two workers serve scrypt-bound logins: on a loaded 2-core host
  // each may take tens of seconds to be ready.
  it('a rolling restart with DRAIN of every worker under load fails no call', async () => {
    await twoWorkers();
    const originals = [...cluster.liveUserServices];
    const load = new LoadRun(
      client,
      userCallPlan(users, { registerEvery: 7, loginEvery: 11, timeoutMs: 30_000 }),
      {
        concurrency: 64,
        maxCalls: 50_000,
      },
    );
    await load.progress(200);
    for (const old of originals) {
      const replacement = await cluster.startUserService({ capacity: CAPACITY });
      await load.progress(50);
      // SIGTERM: the worker drains (DRAIN, DRAIN_ACK, in-flight done, DISCONNECT) and exits 0.
      expect(await old.stop()).toBe(0);
      const expected = cluster.liveUserServices.map((p) => cluster.instanceOf(p));
      expect(expected).toContain(cluster.instanceOf(replacement));
      await cluster.waitForWorkers(broker, 'user', expected);
      await load.progress(100);
    }
    const outcomes = await load.stop();

    expect(summarize(outcomes)).toEqual({});
    expect(outcomes.length).toBeGreaterThan(500);
    expect(outcomes.some((o) => o.call.pattern === UserRpc.register.pattern)).toBe(true);
  }, 180_000);
});
