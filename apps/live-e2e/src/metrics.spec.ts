import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SendResult } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import { clientMsgId, guest, PASSWORD, registerUser, roomIdFor } from './support/fixtures';
import type { LiveClient } from './support/live-client';
import { type LiveApp, LiveCluster } from './support/live-cluster';
import { metricNamesIn, MetricsScrape } from './support/metrics-scrape';

const DASHBOARD = join(__dirname, '../../../deploy/grafana/live-im.json');
/** Chats per room, sent one after another: with a 1 ms merge window most leave in frames of their own. */
const CHATS_PER_ROOM = 40;
const ROOMS = 3;

/** Every app's scrape, by app name. */
async function scrapeAll(apps: readonly LiveApp[]): Promise<Map<string, MetricsScrape>> {
  const scrapes = await Promise.all(apps.map((app) => MetricsScrape.of(app)));
  return new Map(scrapes.map((scrape) => [scrape.app, scrape]));
}

/** Every `expr` of the dashboard's panels and every query of its template variables. */
function dashboardQueries(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) dashboardQueries(item, found);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'expr' || key === 'definition') && typeof value === 'string') found.push(value);
      else dashboardQueries(value, found);
    }
  }
  return found;
}

const isRoomPattern = (labels: Record<string, string>): boolean =>
  (labels['pattern'] ?? '').startsWith('room.');

describe('/metrics of every app of the live system', () => {
  let cluster: LiveCluster;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'metrics',
      // Sequential chats each in a frame of their own, so the sampled batch histogram gets samples.
      nodeEnv: { MERGE_WINDOW_MS: '1' },
      roomEnv: { USER_RATE_POINTS: '1000', USER_RATE_WINDOW_SEC: '1' },
    });
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
  });

  const scrapeOf = (scrapes: Map<string, MetricsScrape>, app: LiveApp): MetricsScrape => {
    const scrape = scrapes.get(app.name);
    if (scrape === undefined) throw new Error(`no scrape of ${app.name}`);
    return scrape;
  };

  it('serves the text format from every process, every family with HELP and TYPE', async () => {
    expect(cluster.apps.map((app) => app.app).sort()).toEqual([
      'broadcast-node',
      'broadcast-node',
      'gateway',
      'gateway',
      'node-manager',
      'room-service',
      'room-service',
      'rpc-broker',
      'user-service',
    ]);
    const scrapes = await scrapeAll(cluster.apps);
    expect([...scrapes.values()].flatMap((scrape) => scrape.undescribed())).toEqual([]);
    for (const scrape of scrapes.values()) {
      expect({ app: scrape.app, lag: scrape.has('nodejs_eventloop_lag_seconds') }).toEqual({
        app: scrape.app,
        lag: true,
      });
      expect({ app: scrape.app, lagP99: scrape.has('nodejs_eventloop_lag_p99_seconds') }).toEqual({
        app: scrape.app,
        lagP99: true,
      });
    }
    // Every app that calls or serves RPC has the transport's histograms.
    for (const app of [cluster.userService, ...cluster.roomServices, ...cluster.gateways]) {
      const scrape = scrapeOf(scrapes, app);
      expect(scrape.families.get('rpc_server_duration_seconds')?.type).toBe('HISTOGRAM');
      expect(scrape.families.get('rpc_client_duration_seconds')?.type).toBe('HISTOGRAM');
      expect(scrape.families.get('redis_command_duration_seconds')?.type).toBe('HISTOGRAM');
    }
    const broker = scrapeOf(scrapes, cluster.broker);
    expect(broker.value('rpc_broker_workers', { service: 'room', state: 'ready' })).toBe(
      cluster.roomServices.length,
    );
    expect(broker.value('rpc_broker_workers', { service: 'user', state: 'ready' })).toBe(1);
    expect(
      broker.families
        .get('rpc_broker_queue_depth')
        ?.metrics.map((m) => m.labels?.['service'])
        .sort(),
    ).toEqual(['room', 'user']);
  });

  it('moves the counters of every app when clients log in, join, chat and send a gift', async () => {
    const before = await scrapeAll(cluster.apps);

    // Accounts through the HTTP API: a registration, a login, guests; tokens verified at handshakes.
    const api = cluster.api(0);
    const owner = await registerUser(api, 'owner');
    const login = await cluster.api(1).login(owner.user.username, PASSWORD);
    const rooms = Array.from({ length: ROOMS }, () => roomIdFor('metrics'));
    for (const roomId of rooms) await api.createRoom(roomId, 'metrics', owner.user.userId);
    const sender = (await cluster.joined(0, rooms[0], { token: login.token })).client;
    for (const roomId of rooms.slice(1)) await sender.send('join', { roomId });
    const viewers: LiveClient[] = [];
    for (const gateway of [0, 1]) {
      const session = await guest(cluster.api(gateway));
      const { client } = await cluster.joined(gateway, rooms[0], { token: session.token });
      for (const roomId of rooms.slice(1)) await client.send('join', { roomId });
      viewers.push(client);
    }

    const results: SendResult[] = [];
    for (const roomId of rooms) {
      for (let i = 0; i < CHATS_PER_ROOM; i += 1) {
        results.push(await sender.send('chat', { roomId, text: `chat ${i}`, clientMsgId: clientMsgId() }));
      }
      results.push(
        await sender.send('gift', { roomId, giftId: 'rose', count: 1, clientMsgId: clientMsgId() }),
      );
    }
    await waitFor(
      () =>
        viewers.every((viewer) =>
          rooms.every(
            (roomId) =>
              viewer.lastSeq(roomId, 'normal') >= CHATS_PER_ROOM && viewer.lastSeq(roomId, 'important') >= 1,
          ),
        ),
      { timeoutMs: 15_000, what: 'every viewer to receive every chat and gift' },
    );
    expect(results).toHaveLength(ROOMS * (CHATS_PER_ROOM + 1));

    const after = await scrapeAll(cluster.apps);
    const moved = (app: LiveApp, read: (scrape: MetricsScrape) => number): number =>
      read(scrapeOf(after, app)) - read(scrapeOf(before, app));
    const movedOver = (apps: readonly LiveApp[], read: (scrape: MetricsScrape) => number): number =>
      apps.reduce((sum, app) => sum + moved(app, read), 0);

    for (const gateway of cluster.gateways) {
      const report = {
        gateway: gateway.name,
        events: moved(gateway, (s) => s.value('gateway_events_total', { code: 'OK' })) > 0,
        handshakes: moved(gateway, (s) => s.value('gateway_handshakes_total', { code: 'OK' })) > 0,
        connections: scrapeOf(after, gateway).value('gateway_connections') > 0,
        rooms: scrapeOf(after, gateway).value('gateway_rooms') >= ROOMS,
        messagesOut: moved(gateway, (s) => s.value('gateway_messages_out_total', { lane: 'normal' })) > 0,
        roomRpcs: moved(gateway, (s) => s.count('rpc_client_duration_seconds', isRoomPattern)) > 0,
      };
      expect(report).toEqual({
        gateway: gateway.name,
        events: true,
        handshakes: true,
        connections: true,
        rooms: true,
        messagesOut: true,
        roomRpcs: true,
      });
    }

    expect(moved(cluster.broker, (s) => s.value('rpc_broker_requests_total'))).toBeGreaterThan(
      ROOMS * CHATS_PER_ROOM,
    );
    expect(moved(cluster.broker, (s) => s.value('rpc_broker_dispatched_total'))).toBeGreaterThan(0);

    const roomWorkers = cluster.roomServices;
    expect(
      movedOver(roomWorkers, (s) => s.value('room_service_messages_appended_total', { lane: 'normal' })),
    ).toBeGreaterThanOrEqual(ROOMS * CHATS_PER_ROOM);
    expect(
      movedOver(roomWorkers, (s) => s.value('room_service_messages_appended_total', { lane: 'important' })),
    ).toBeGreaterThanOrEqual(ROOMS);
    expect(
      movedOver(roomWorkers, (s) => s.count('rpc_server_duration_seconds', isRoomPattern)),
    ).toBeGreaterThanOrEqual(ROOMS * (CHATS_PER_ROOM + 1));
    expect(
      movedOver(roomWorkers, (s) => s.count('redis_command_duration_seconds', { command: 'evalsha' })),
    ).toBeGreaterThan(0);

    const users = cluster.userService;
    expect(moved(users, (s) => s.value('user_service_registrations_total', { result: 'OK' }))).toBe(1);
    expect(moved(users, (s) => s.value('user_service_logins_total', { result: 'OK' }))).toBe(1);
    expect(moved(users, (s) => s.value('user_service_guest_sessions_total', { result: 'OK' }))).toBe(2);
    // One per handshake with a token at least (the sender and the two viewers).
    expect(
      moved(users, (s) => s.value('user_service_token_verifications_total', { result: 'OK' })),
    ).toBeGreaterThanOrEqual(3);
    expect(
      moved(users, (s) => s.count('rpc_server_duration_seconds', { pattern: 'user.login', code: 'OK' })),
    ).toBe(1);
    expect(moved(users, (s) => s.count('redis_command_duration_seconds'))).toBeGreaterThan(0);
    for (const gateway of cluster.gateways) {
      expect({
        gateway: gateway.name,
        redis: moved(gateway, (s) => s.count('redis_command_duration_seconds')) > 0,
      }).toEqual({
        gateway: gateway.name,
        redis: true,
      });
    }

    const nodes = cluster.nodes;
    for (const [lane, sent] of [
      ['normal', ROOMS * CHATS_PER_ROOM],
      ['important', ROOMS],
    ] as const) {
      expect(
        movedOver(nodes, (s) => s.value('broadcast_node_msgs_in_total', { lane })),
      ).toBeGreaterThanOrEqual(sent);
      expect(
        movedOver(nodes, (s) => s.value('broadcast_node_msgs_out_total', { lane })),
      ).toBeGreaterThanOrEqual(sent);
    }
    // One frame in 16 is sampled: over 120 chats, most in frames of their own, some must be.
    expect(movedOver(nodes, (s) => s.count('broadcast_node_batch_messages'))).toBeGreaterThan(0);

    expect(moved(cluster.manager, (s) => s.value('node_manager_heartbeats_total'))).toBeGreaterThan(0);
  });

  it('exports every metric the Grafana dashboard queries', async () => {
    const scrapes = [...(await scrapeAll(cluster.apps)).values()];
    const queries = dashboardQueries(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
    expect(queries.length).toBeGreaterThan(20);
    const names = [...new Set(queries.flatMap(metricNamesIn))];
    expect(names.length).toBeGreaterThan(20);
    const unknown = names.filter((name) => !scrapes.some((scrape) => scrape.exports(name)));
    expect(unknown).toEqual([]);
  });
});
