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

  it('costs Redis O(gateways) per room per second: one read of the hash per round, one write per gateway', async () => {
    if (redis === undefined) throw new Error('no private Redis');
    const baseline = await commandRates(redis);

    await addViewers(0);
    await everyoneSees(VIEWERS_PER_GATEWAY, 10_000);
    const oneGateway = await commandRates(redis);

    for (let gateway = 1; gateway < GATEWAYS; gateway += 1) await addViewers(gateway);
    await everyoneSees(GATEWAYS * VIEWERS_PER_GATEWAY, 10_000);
    const allGateways = await commandRates(redis);

    // What the online count costs, by the commands only its scripts run in a quiet cluster: HSET
    // (a gateway's flush writes its own field) and HGETALL (the owner's read of the whole hash).
    const rate = (rates: Map<string, number>, command: string): number => rates.get(command) ?? 0;
    const figures = {
      hsetPerSec: { gateways1: rate(oneGateway, 'hset'), gateways5: rate(allGateways, 'hset') },
      hgetallPerSec: { gateways1: rate(oneGateway, 'hgetall'), gateways5: rate(allGateways, 'hgetall') },
      // All commands over the idle baseline (sweepers, leases): noisy by a round or so.
      totalOverBaselinePerSec: {
        gateways1: total(oneGateway) - total(baseline),
        gateways5: total(allGateways) - total(baseline),
      },
      commandsPerSecWith5Gateways: Object.fromEntries(
        [...allGateways].filter(([, r]) => r > 0).map(([c, r]) => [c, Math.round(r * 10) / 10]),
      ),
    };
    process.stdout.write(`online aggregation, Redis commands/s: ${JSON.stringify(figures)}\n`);
    // One read of the room's hash per round, however many gateways (each gateway reading it, as
    // before, made G reads of a G-field hash: G²).
    expect(figures.hgetallPerSec.gateways5).toBeLessThanOrEqual(1.5);
    expect(Math.abs(figures.hgetallPerSec.gateways5 - figures.hgetallPerSec.gateways1)).toBeLessThanOrEqual(
      0.5,
    );
    // One write per gateway per flush (PRESENCE_FLUSH_MS, 1 s): linear in gateways.
    expect(figures.hsetPerSec.gateways1).toBeLessThanOrEqual(1.5);
    expect(figures.hsetPerSec.gateways5).toBeGreaterThanOrEqual(GATEWAYS - 1);
    expect(figures.hsetPerSec.gateways5).toBeLessThanOrEqual(GATEWAYS * 1.5);
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
