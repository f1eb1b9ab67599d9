import { UserRpc } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import { LoadRun, summarize } from './support/load';
import { BrokerNode, RpcCluster } from './support/rpc-cluster';
import { seedUsers, userCallPlan, type SeededUser } from './support/user-calls';

describe('broker failures', () => {
  const cluster = new RpcCluster('broker-failover');
  let first: BrokerNode;
  let second: BrokerNode;
  let users: SeededUser[];
  const instances: string[] = [];

  beforeAll(async () => {
    first = await cluster.startBroker();
    second = await cluster.startBroker();
    // Both workers serve both brokers.
    const workers = await Promise.all([cluster.startUserService(), cluster.startUserService()]);
    instances.push(...workers.map((w) => cluster.instanceOf(w)));
    users = await seedUsers(cluster.client(), 4);
  });

  afterAll(() => cluster.close());

  it('a broker killed with -9 and started again on the same ports serves calls again, peers reconnecting by themselves', async () => {
    const client = cluster.client([first]);
    await expect(
      client.call(UserRpc.guest.pattern, {}, { idempotent: true, timeoutMs: 5000 }),
    ).resolves.toBeDefined();

    await cluster.killBroker(first);
    await waitFor(() => client.liveBrokers === 0, { what: 'the client to see its broker dead' });
    await cluster.launch(first);

    // Short deadlines, one after another, until one succeeds: the same client, never recreated,
    // reconnected by itself. (How soon is the machine's business; the limit is only generous.)
    await waitFor(
      () =>
        client.call(UserRpc.guest.pattern, {}, { idempotent: true, timeoutMs: 250 }).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 30_000, intervalMs: 0, what: 'a call through the restarted broker to succeed' },
    );
    // Both workers announced themselves again, without being restarted.
    await cluster.waitForWorkers(first, 'user', instances, 20_000);
  });

  it('with two brokers, killing one under load fails no idempotent call', async () => {
    const client = cluster.client([first, second]);
    await waitFor(() => client.liveBrokers === 2, { what: 'the client to see both brokers' });
    await cluster.waitForWorkers(first, 'user', instances);
    await cluster.waitForWorkers(second, 'user', instances);
    const secondBefore = (await cluster.stats(second)).counters.requests;

    const load = new LoadRun(
      client,
      // Generous deadlines: a call must fail only by being lost, never by a busy machine's pace.
      userCallPlan(users, { registerEvery: 0, loginEvery: 20, timeoutMs: 30_000 }),
      {
        concurrency: 64,
        maxCalls: 50_000,
      },
    );
    await load.progress(500);
    await cluster.killBroker(first);
    await waitFor(() => client.liveBrokers === 1, { what: 'the client to see the broker dead' });
    await load.progress(1000);
    const outcomes = await load.stop();

    expect(summarize(outcomes)).toEqual({});
    expect(outcomes.length).toBeGreaterThanOrEqual(1500);
    // Everything after the kill went through the survivor.
    expect((await cluster.stats(second)).counters.requests - secondBefore).toBeGreaterThanOrEqual(1000);
  });
});
