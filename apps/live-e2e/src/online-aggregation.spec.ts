import { join } from 'node:path';
import Redis from 'ioredis';
import {
  type RedisForTests,
  startPrivateRedisServer,
  testRedisEnv,
  waitFor,
  WORKSPACE_ROOT,
} from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { guest, registerUser, roomIdFor } from './support/fixtures';

const GATEWAYS = 5;
const VIEWERS_PER_GATEWAY = 2;
/** Long enough to hold several aggregation rounds and presence flushes (both once a second). */
const WINDOW_MS = 6_000;

/** Calls per second of each command over the window, from INFO commandstats after CONFIG RESETSTAT. */
async function commandRates(redis: Redis): Promise<Map<string, number>> {
  await redis.config('RESETSTAT');
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const info = await redis.info('commandstats');
  const rates = new Map<string, number>();
  for (const [, command, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (command !== 'config' && command !== 'info')
      rates.set(command ?? '', (Number(calls) * 1000) / WINDOW_MS);
  }
  return rates;
}

function total(rates: Map<string, number>): number {
  return [...rates.values()].reduce((a, b) => a + b, 0);
}

/**
 * docs/architecture.md "Online count": one owner per room reads the room's per-gateway hash once a
 * second for the whole cluster and publishes the total through the broadcast cluster; gateways only
 * write their own count. Measured on a redis-server of this spec's own, so INFO commandstats holds
 * this cluster's commands and nothing else. (A Redis Cluster run has no single server to read.)
 */
const onSingleRedis = testRedisEnv()['REDIS_CLUSTER_NODES'] === undefined ? describe : describe.skip;

onSingleRedis('online count aggregated once per room', () => {
  let redisServer: RedisForTests | undefined;
  let redis: Redis | undefined;
  let cluster: LiveCluster;
  const roomId = roomIdFor('online-agg');
  const viewers: LiveClient[][] = [];

  beforeAll(async () => {
    redisServer = await startPrivateRedisServer(join(WORKSPACE_ROOT, 'tmp/test-logs'));
    redis = new Redis(redisServer.url);
    cluster = await LiveCluster.start({
      label: 'online-agg',
      gateways: GATEWAYS,
      env: { REDIS_URL: redisServer.url },
    });
    const api = cluster.api();
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'online aggregation', owner.user.userId);
  }, 90_000);

  afterAll(async () => {
    await cluster?.close();
    await redis?.quit();
    await redisServer?.stop();
  });

  async function addViewers(gateway: number): Promise<void> {
    const clients: LiveClient[] = [];
    for (let i = 0; i < VIEWERS_PER_GATEWAY; i += 1) {
      const { token } = await guest(cluster.api(gateway));
      clients.push((await cluster.joined(gateway, roomId, { token })).client);
    }
    viewers[gateway] = clients;
  }

  /** Waits until a viewer of every gateway with viewers was told `count` through `online`. */
  async function everyoneSees(count: number, timeoutMs: number): Promise<void> {
    await waitFor(() => viewers.every((clients) => clients.some((c) => c.online.at(-1)?.count === count)), {
      timeoutMs,
      intervalMs: 50,
      what: `online count ${count} at every gateway (last seen: ${viewers
        .map((clients) => clients.map((c) => c.online.at(-1)?.count).join('/'))
        .join(' ')})`,
    });
  }

  it('costs Redis O(gateways) commands per second for one room: one read per second, one write per gateway', async () => {
    if (redis === undefined) throw new Error('no private Redis');
    const baseline = await commandRates(redis);

    await addViewers(0);
    await everyoneSees(VIEWERS_PER_GATEWAY, 10_000);
    const oneGateway = await commandRates(redis);

    for (let gateway = 1; gateway < GATEWAYS; gateway += 1) await addViewers(gateway);
    await everyoneSees(GATEWAYS * VIEWERS_PER_GATEWAY, 10_000);
    const allGateways = await commandRates(redis);

    const roomOne = total(oneGateway) - total(baseline);
    const roomAll = total(allGateways) - total(baseline);
    const figures = {
      baselinePerSec: total(baseline),
      roomPerSecWith1Gateway: roomOne,
      roomPerSecWith5Gateways: roomAll,
      perExtraGatewayPerSec: (roomAll - roomOne) / (GATEWAYS - 1),
      hgetallPerSecWith5Gateways: allGateways.get('hgetall') ?? 0,
      commandsWith5Gateways: Object.fromEntries(
        [...allGateways].filter(([, rate]) => rate > 0).map(([c, rate]) => [c, Math.round(rate * 10) / 10]),
      ),
    };
    process.stdout.write(`online aggregation, Redis commands/s: ${JSON.stringify(figures)}\n`);
    // The per-gateway hash is read by the room's owner alone: once a round, however many gateways.
    expect(figures.hgetallPerSecWith5Gateways).toBeLessThanOrEqual(1.5);
    // Linear in gateways: 5 gateways cost at most 5x one (every gateway reading every other's, as
    // before, grows with the square).
    expect(roomAll).toBeGreaterThan(roomOne);
    expect(roomAll).toBeLessThanOrEqual(GATEWAYS * roomOne);
  }, 120_000);

  it('keeps the count updating within 5 s after the process aggregating the room is killed', async () => {
    const rooms = await Promise.all(
      cluster.roomServices.map((app) => app.metric('room_service_aggregation_rooms_last_round')),
    );
    const owner = rooms.findIndex((n) => n > 0);
    expect(rooms.filter((n) => n > 0)).toHaveLength(1);
    const ownerApp = cluster.roomServices[owner];
    const survivor = cluster.roomServices[1 - owner];
    if (ownerApp === undefined || survivor === undefined)
      throw new Error('two room-service workers expected');
    const acquiredBefore = await survivor.metric('room_service_aggregation_leases_total', {
      event: 'acquired',
    });

    await ownerApp.kill();
    const killedAt = Date.now();
    // The count changes right after the kill: only a live owner can say so.
    const leaving = viewers[0]?.pop();
    leaving?.close();
    const expected = GATEWAYS * VIEWERS_PER_GATEWAY - 1;
    await everyoneSees(expected, 5_000);
    const tookMs = Date.now() - killedAt;
    process.stdout.write(
      `online aggregation: count ${expected} seen everywhere ${tookMs} ms after the kill\n`,
    );
    expect(
      await survivor.metric('room_service_aggregation_leases_total', { event: 'acquired' }),
    ).toBeGreaterThan(acquiredBefore);
  }, 60_000);
});
