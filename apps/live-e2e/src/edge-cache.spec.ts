import { rendezvousOwner } from '@live-im/broadcast';
import { connect, type LiveClient as SdkClient, type RoomHandle } from '@live-im/client-sdk';
import type { SendResult } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { type LiveApp, LiveCluster } from './support/live-cluster';
import { clientMsgId, inBatches, registerUser, roomIdFor, UNBOUNDED_SENDS } from './support/fixtures';

/**
 * The edge cache and the gateway's own gap fill, on real processes (issue 17 points 1, 2 and 7).
 * Viewer counts are what one jest process drives next to the whole system on this 2-CPU machine
 * shared with other test runs: 200 SDK viewers (a viewer is a socket.io-client with the SDK's
 * cursor, gap fill and reconnect loop). What is asserted is per gap and per viewer, so it holds
 * at 1,000 and more the same (bench/storm measures at 10,000).
 */

/** The room-service RPCs a join or a gap costs: their calls handled, summed over the workers. */
const ROOM_READS = ['room.join', 'room.admit', 'room.history'] as const;

async function handled(workers: LiveApp[], patterns: readonly string[]): Promise<number> {
  const counts = await Promise.all(
    workers.flatMap((worker) =>
      patterns.map((pattern) => worker.metric('rpc_server_duration_seconds_count', { pattern })),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** An SDK viewer and the important messages it was given (live, in a join answer, or pulled). */
interface Viewer {
  client: SdkClient;
  room: RoomHandle;
  important: Set<string>;
  gaps: number;
}

async function sdkViewer(
  urls: string[],
  roomId: string,
  reconnect?: { minDelayMs: number; maxDelayMs: number },
) {
  const client = connect({
    url: urls,
    transports: ['websocket'],
    reconnect: reconnect ? { ...reconnect, factor: 2, jitter: 0.5 } : undefined,
  });
  const room = await client.joinRoom(roomId);
  const viewer: Viewer = { client, room, important: new Set(), gaps: 0 };
  room.on('message', (message) => {
    if (message.lane === 'important') viewer.important.add(message.id);
  });
  room.on('gap', () => {
    viewer.gaps += 1;
  });
  return viewer;
}

/** Chat and gifts from one sender until stopped; each gift is retried with its clientMsgId until acknowledged. */
function sendLoad(
  sender: LiveClient,
  roomId: string,
  acked: Map<string, SendResult>,
  stopped: () => boolean,
) {
  return (async () => {
    for (let n = 0; !stopped(); n += 1) {
      await sender.request('chat', { roomId, text: `chat ${n}`, clientMsgId: clientMsgId() });
      const id = clientMsgId();
      for (let attempt = 0; !stopped() || attempt === 0; attempt += 1) {
        const ack = await sender.request('gift', { roomId, giftId: 'rose', count: 1, clientMsgId: id });
        if (ack.ok) {
          acked.set(id, ack.data);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
}

function missingGifts(viewers: Viewer[], acked: Map<string, SendResult>): number {
  const ids = [...acked.values()].map((result) => result.messageId);
  return viewers.filter((viewer) => ids.some((id) => !viewer.important.has(id))).length;
}

/** Named when a viewer misses a gift: what it lacks, and where the broadcast path lost or filled seqs. */
async function broadcastDiagnosis(
  cluster: LiveCluster,
  viewers: Viewer[],
  acked: Map<string, SendResult>,
): Promise<string> {
  const lacking = viewers.find((viewer) =>
    [...acked.values()].some((r) => !viewer.important.has(r.messageId)),
  );
  const seqs = [...acked.values()].filter((r) => !lacking?.important.has(r.messageId)).map((r) => r.seq);
  const probes: Array<[LiveApp[], string, Record<string, string>]> = [
    [cluster.roomServices, 'room_service_publish_dropped_total', {}],
    [cluster.nodes, 'broadcast_node_msgs_in_total', { lane: 'important' }],
    [cluster.nodes, 'broadcast_node_msgs_out_total', { lane: 'important' }],
    [cluster.nodes, 'broadcast_node_dropped_total', {}],
    [cluster.gateways, 'gateway_subscriber_batches_total', { kind: 'gap' }],
    [cluster.gateways, 'gateway_gap_fills_total', {}],
    [cluster.gateways, 'gateway_gap_held_released_total', {}],
  ];
  const figures = await Promise.all(
    probes.map(async ([apps, name, labels]) => {
      const values = await Promise.all(
        apps.map((app) => (app.running ? app.metric(name, labels) : Promise.resolve(Number.NaN))),
      );
      return `${name} ${values.join(' / ')}`;
    }),
  );
  const sdkGaps = viewers.reduce((sum, viewer) => sum + viewer.gaps, 0);
  return `${missingGifts(viewers, acked)} viewers lack gifts (one lacks seqs ${seqs.join(',')}); SDK gaps ${sdkGaps}; ${figures.join('; ')}`;
}

describe('edge cache: the node owning a room dies under chat and gift load', () => {
  let cluster: LiveCluster;
  const viewers: Viewer[] = [];
  const roomId = roomIdFor('edge-node');

  beforeAll(async () => {
    cluster = await LiveCluster.start({ label: 'edge-node', gateways: 2, roomEnv: UNBOUNDED_SENDS });
    const owner = await registerUser(cluster.api(0), 'owner');
    await cluster.api(0).createRoom(roomId, 'edge node', owner.user.userId);
  }, 120_000);

  afterAll(async () => {
    for (const viewer of viewers) viewer.client.close();
    await cluster?.close();
  });

  it('each gateway fills the gap once (at most 2 history calls per gateway per gap) and every viewer gets every gift', async () => {
    const urls = cluster.gateways.map((gateway) => gateway.url);
    viewers.push(...(await inBatches([...Array(200).keys()], 20, (i) => sdkViewer([urls[i % 2]], roomId))));
    const senders = await Promise.all(
      [0, 1].map(async (i) => {
        const session = await registerUser(cluster.api(i), `sender${i}`);
        return (await cluster.joined(i, roomId, { token: session.token })).client;
      }),
    );
    const acked = new Map<string, SendResult>();
    let stop = false;
    const load = senders.map((sender) => sendLoad(sender, roomId, acked, () => stop));
    await waitFor(() => acked.size >= 10, {
      timeoutMs: 30_000,
      what: '10 gifts acknowledged before the kill',
    });

    const historyBefore = await handled(cluster.roomServices, ['room.history']);
    const fillsBefore = await Promise.all(cluster.gateways.map((g) => g.metric('gateway_gap_fills_total')));
    const owner = rendezvousOwner(
      roomId,
      cluster.nodes.map((node) => node.name),
    );
    const victim = cluster.nodes.find((node) => node.name === owner);
    if (victim === undefined) throw new Error(`no node ${owner}`);
    await victim.kill();
    const ackedAtKill = acked.size;
    await waitFor(() => acked.size >= ackedAtKill + 20, {
      timeoutMs: 30_000,
      what: '20 more gifts acknowledged after the kill',
    });
    stop = true;
    await Promise.all(load);

    await waitFor(() => missingGifts(viewers, acked) === 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `every viewer to hold all ${acked.size} acknowledged gifts`,
    }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; ${await broadcastDiagnosis(cluster, viewers, acked)}`);
    });
    const history = (await handled(cluster.roomServices, ['room.history'])) - historyBefore;
    const fillsAfter = await Promise.all(cluster.gateways.map((g) => g.metric('gateway_gap_fills_total')));
    const fills = fillsAfter.map((after, i) => after - (fillsBefore[i] ?? 0));
    const gaps = fills.reduce((a, b) => a + b, 0);
    const sdkGaps = viewers.reduce((sum, viewer) => sum + viewer.gaps, 0);
    const figures = `history calls ${history}, gap fills per gateway ${fills.join('/')}, SDK gaps ${sdkGaps}`;
    // The node died mid-stream: its in-flight batches were lost, and each gateway saw the gap.
    expect({ figures, gaps: gaps > 0 }).toEqual({ figures, gaps: true });
    // Filled once per gateway (a page per 200 seqs, so 1 per gap here), never once per viewer.
    expect({ figures, withinBound: history <= 2 * gaps }).toEqual({ figures, withinBound: true });
  }, 180_000);
});

describe('edge cache: a gateway dies holding viewers (rejoin storm)', () => {
  let cluster: LiveCluster;
  const viewers: Viewer[] = [];
  const roomId = roomIdFor('edge-storm');

  beforeAll(async () => {
    cluster = await LiveCluster.start({ label: 'edge-storm', gateways: 3, roomEnv: UNBOUNDED_SENDS });
    const owner = await registerUser(cluster.api(0), 'owner');
    await cluster.api(0).createRoom(roomId, 'edge storm', owner.user.userId);
  }, 120_000);

  afterAll(async () => {
    for (const viewer of viewers) viewer.client.close();
    await cluster?.close();
  });

  it('spreads its viewers over the others, whose caches answer the rejoins: every gift everywhere, ≤ 0.1 room-service calls per rejoin', async () => {
    const urls = cluster.gateways.map((gateway) => gateway.url);
    const [dying] = cluster.gateways;
    if (dying === undefined) throw new Error('no gateway 0');
    // The survivors each hold the room already (a sender on one, a watcher on the other).
    const session = await registerUser(cluster.api(1), 'sender');
    const sender = (await cluster.joined(1, roomId, { token: session.token })).client;
    await cluster.joined(2, roomId);
    // Every viewer starts on the first URL, the gateway about to die.
    viewers.push(
      ...(await inBatches([...Array(200).keys()], 20, () =>
        sdkViewer(urls, roomId, { minDelayMs: 500, maxDelayMs: 4000 }),
      )),
    );
    expect(viewers.every((viewer) => viewer.client.url === dying.url)).toBe(true);

    const acked = new Map<string, SendResult>();
    let stop = false;
    const load = sendLoad(sender, roomId, acked, () => stop);
    await waitFor(() => acked.size >= 10, {
      timeoutMs: 30_000,
      what: '10 gifts acknowledged before the kill',
    });

    const callsBefore = await handled(cluster.roomServices, ROOM_READS);
    await dying.kill();
    await waitFor(() => viewers.every((viewer) => viewer.client.url !== dying.url && viewer.room.joined), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'every viewer to rejoin on another gateway',
    });
    const ackedAtRejoin = acked.size;
    await waitFor(() => acked.size >= ackedAtRejoin + 5, {
      timeoutMs: 30_000,
      what: '5 more gifts after the rejoins',
    });
    stop = true;
    await load;
    await waitFor(() => missingGifts(viewers, acked) === 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `every viewer to hold all ${acked.size} acknowledged gifts (${missingGifts(viewers, acked)} viewers lack some)`,
    });
    const calls = (await handled(cluster.roomServices, ROOM_READS)) - callsBefore;

    const landed = urls.slice(1).map((url) => viewers.filter((viewer) => viewer.client.url === url).length);
    const figures = `landed ${landed.join('/')}, room-service join/admit/history calls ${calls} for ${viewers.length} rejoins`;
    // At random over the two survivors: more than 60% on one is under 0.5% likely at 200 viewers.
    expect({ figures, spread: Math.max(...landed) <= 0.6 * viewers.length }).toEqual({
      figures,
      spread: true,
    });
    expect({ figures, perRejoin: calls / viewers.length <= 0.1 }).toEqual({ figures, perRejoin: true });
  }, 180_000);
});
