import { rendezvousOwner } from '@live-im/broadcast';
import type { SendResult } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { type LiveApp, LiveCluster } from './support/live-cluster';
import { clientMsgId, registerUser, roomIdFor, UNBOUNDED_SENDS } from './support/fixtures';
import { ViewerFleet, type ViewerState } from './support/sdk-viewer-processes';

/**
 * The edge cache and the gateway's own gap fill, on real processes (issue 17 points 1, 2 and 7),
 * at the size: 1,000 viewers, each a real SDK client (libs/client-sdk `connect`: its
 * cursor, gap fill and reconnect loop), 250 in each of 4 child processes (support/sdk-viewers.ts)
 * so that the jest process keeps the senders and the metric reads on time. Measured on this shared
 * 2-CPU host under other test runs (load average 13-37), 5-6 runs each: the 1,000 joined in
 * 8-23 s. Node kill: every viewer held all 33-35 gifts 2-5 s after it; 4 history calls to
 * room-service for 2 gap fills per gateway; the SDK's own gap events ranged from 0 to 512 on the
 * important lane (answered by the gateways, not room-service). Gateway kill: all 1,000 rejoined on
 * the other two within 5-14 s (landed 493/507 to 511/489) holding all 35-62 gifts; room-service
 * served 28-80 calls, all room.admit (joins and history came from the edge caches). room.admit
 * is at most one call per ADMIT_WINDOW_MS (250 ms) per gateway while rejoins keep coming (5-6 a
 * second were measured), so this figure follows how long the rejoins take on a loaded host, not
 * the number of viewers: rejoins that took over ~17 s would pass the bound of 100. A test takes
 * 12-40 s, a cluster boot about 15-25 s, the file 65-120 s.
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

/** Each of ROOM_READS handled, summed over the workers, in ROOM_READS' order. */
function readsByPattern(workers: LiveApp[]): Promise<number[]> {
  return Promise.all(ROOM_READS.map((pattern) => handled(workers, [pattern])));
}

/** Viewers of a test, and the processes holding them (a share each; see sdk-viewer-processes.ts). */
const VIEWERS = 1000;
const VIEWER_PROCESSES = 4;

/**
 * Every viewer connects from 127.0.0.1: the per-address limits would meter the test (a thousand
 * handshakes and sockets from one address), not a client.
 */
const GATEWAY_ENV = {
  CONNECT_BURST_PER_IP: String(VIEWERS * 2),
  MAX_CONNECTIONS_PER_IP: String(VIEWERS * 2),
};

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

function giftIds(acked: Map<string, SendResult>): string[] {
  return [...acked.values()].map((result) => result.messageId);
}

/** Viewers lacking any gift they were checked for. */
function missingGifts(viewers: ViewerState[]): number {
  return viewers.filter((viewer) => viewer.lacking.length > 0).length;
}

/** The SDK's own gap events summed over the viewers, per lane. */
function sdkGaps(viewers: ViewerState[]): string {
  const sum = (lane: 'normal' | 'important') => viewers.reduce((n, viewer) => n + viewer.gaps[lane], 0);
  return `SDK gaps ${sum('normal')} normal, ${sum('important')} important`;
}

/** How many viewers are joined on each gateway, in the cluster's order. */
function landedOn(viewers: ViewerState[], gateways: LiveApp[]): number[] {
  return gateways.map((gateway) => viewers.filter((v) => v.joined && v.url === gateway.url).length);
}

/** Named when a viewer misses a gift: what it lacks, and where the broadcast path lost or filled seqs. */
async function broadcastDiagnosis(
  cluster: LiveCluster,
  fleet: ViewerFleet,
  acked: Map<string, SendResult>,
): Promise<string> {
  const viewers = await fleet.report(giftIds(acked));
  const lacking = new Set(viewers.find((viewer) => viewer.lacking.length > 0)?.lacking);
  const seqs = [...acked.values()].filter((r) => lacking.has(r.messageId)).map((r) => r.seq);
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
  const landed = landedOn(viewers, cluster.gateways);
  return `${missingGifts(viewers)} viewers lack gifts (one lacks seqs ${seqs.join(',')}); viewers per gateway ${landed.join('/')}; ${sdkGaps(viewers)}; ${figures.join('; ')}`;
}

/** Waits until every viewer holds every acknowledged gift; fails naming where the broadcast path lost them. */
function everyViewerHoldsEveryGift(
  cluster: LiveCluster,
  fleet: ViewerFleet,
  acked: Map<string, SendResult>,
): Promise<ViewerState[]> {
  return fleet
    .waitFor(
      () => giftIds(acked),
      (all) => missingGifts(all) === 0,
      { timeoutMs: 60_000, what: `every viewer to hold all ${acked.size} acknowledged gifts` },
    )
    .catch(async (error: unknown) => {
      throw new Error(`${String(error)}; ${await broadcastDiagnosis(cluster, fleet, acked)}`);
    });
}

describe('edge cache: the node owning a room dies under chat and gift load', () => {
  let cluster: LiveCluster;
  let fleet: ViewerFleet | undefined;
  const roomId = roomIdFor('edge-node');

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'edge-node',
      gateways: 2,
      roomEnv: UNBOUNDED_SENDS,
      gatewayEnv: GATEWAY_ENV,
    });
    const owner = await registerUser(cluster.api(0), 'owner');
    await cluster.api(0).createRoom(roomId, 'edge node', owner.user.userId);
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    await cluster?.close();
  });

  it('each gateway fills the gap once (at most 2 history calls per gateway per gap) and every viewer gets every gift', async () => {
    const urls = cluster.gateways.map((gateway) => gateway.url);
    // Half the viewers on each gateway, each on its one gateway only.
    const viewers = new ViewerFleet(VIEWER_PROCESSES);
    fleet = viewers;
    await viewers.join({ roomId, urls, spread: 'one-each', viewers: VIEWERS });
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

    const states = await everyViewerHoldsEveryGift(cluster, viewers, acked);
    const history = (await handled(cluster.roomServices, ['room.history'])) - historyBefore;
    const fillsAfter = await Promise.all(cluster.gateways.map((g) => g.metric('gateway_gap_fills_total')));
    const fills = fillsAfter.map((after, i) => after - (fillsBefore[i] ?? 0));
    const gaps = fills.reduce((a, b) => a + b, 0);
    // Batches a gateway let out past a fill still pending (GAP_FILL_WAIT_MS): the SDK sees those gaps.
    const released = await Promise.all(
      cluster.gateways.map((g) => g.metric('gateway_gap_held_released_total')),
    );
    const figures = `${states.length} viewers, ${acked.size} gifts, history calls ${history}, gap fills per gateway ${fills.join('/')}, batches released before their fill ${released.join('/')}, ${sdkGaps(states)}`;
    // The node died mid-stream: its in-flight batches were lost, and each gateway saw the gap.
    expect({ figures, gaps: gaps > 0 }).toEqual({ figures, gaps: true });
    // Filled once per gateway (a page per 200 seqs, so 1 per gap here), never once per viewer.
    expect({ figures, withinBound: history <= 2 * gaps }).toEqual({ figures, withinBound: true });
  }, 240_000);
});

describe('edge cache: a gateway dies holding viewers (rejoin storm)', () => {
  let cluster: LiveCluster;
  let fleet: ViewerFleet | undefined;
  const roomId = roomIdFor('edge-storm');

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'edge-storm',
      gateways: 3,
      roomEnv: UNBOUNDED_SENDS,
      gatewayEnv: GATEWAY_ENV,
    });
    const owner = await registerUser(cluster.api(0), 'owner');
    await cluster.api(0).createRoom(roomId, 'edge storm', owner.user.userId);
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    await cluster?.close();
  });

  it('spreads its viewers over the others, whose caches answer the rejoins: every gift everywhere, ≤ 0.1 room-service calls per rejoin', async () => {
    const urls = cluster.gateways.map((gateway) => gateway.url);
    const [dying, ...survivors] = cluster.gateways;
    if (dying === undefined) throw new Error('no gateway 0');
    // The survivors each hold the room already (a sender on one, a watcher on the other).
    const session = await registerUser(cluster.api(1), 'sender');
    const sender = (await cluster.joined(1, roomId, { token: session.token })).client;
    await cluster.joined(2, roomId);
    // Every viewer starts on the first URL, the gateway about to die.
    const viewers = new ViewerFleet(VIEWER_PROCESSES);
    fleet = viewers;
    await viewers.join({
      roomId,
      urls,
      spread: 'all',
      reconnect: { minDelayMs: 500, maxDelayMs: 4000 },
      viewers: VIEWERS,
    });
    const atStart = await viewers.report([]);
    expect(atStart.filter((viewer) => viewer.url === dying.url)).toHaveLength(VIEWERS);

    const acked = new Map<string, SendResult>();
    let stop = false;
    const load = sendLoad(sender, roomId, acked, () => stop);
    await waitFor(() => acked.size >= 10, {
      timeoutMs: 30_000,
      what: '10 gifts acknowledged before the kill',
    });

    const callsBefore = await readsByPattern(cluster.roomServices);
    await dying.kill();
    const killedAt = Date.now();
    await viewers.waitFor(
      () => [],
      (all) => all.every((viewer) => viewer.url !== dying.url && viewer.joined),
      {
        timeoutMs: 90_000,
        what: 'every viewer to rejoin on another gateway',
        found: (all) => `joined per gateway ${landedOn(all, cluster.gateways).join('/')} of ${all.length}`,
      },
    );
    // Not asserted (this host's load decides it); named because room.admit calls grow with it: at
    // most one per ADMIT_WINDOW_MS per gateway while rejoins keep coming.
    const rejoinSeconds = ((Date.now() - killedAt) / 1000).toFixed(1);
    const ackedAtRejoin = acked.size;
    await waitFor(() => acked.size >= ackedAtRejoin + 5, {
      timeoutMs: 30_000,
      what: '5 more gifts after the rejoins',
    });
    stop = true;
    await load;
    const states = await everyViewerHoldsEveryGift(cluster, viewers, acked);
    const callsAfter = await readsByPattern(cluster.roomServices);
    const byPattern = ROOM_READS.map((pattern, i) => `${pattern} ${callsAfter[i] - callsBefore[i]}`);
    const calls = callsAfter.reduce((a, b) => a + b, 0) - callsBefore.reduce((a, b) => a + b, 0);

    const landed = landedOn(states, survivors);
    const figures = `landed ${landed.join('/')}, room-service calls ${calls} (${byPattern.join(', ')}) for ${states.length} rejoins within ${rejoinSeconds} s, ${acked.size} gifts, ${sdkGaps(states)}`;
    // At random over the two survivors: more than 60% on one is under 1e-9 likely at 1,000 viewers.
    expect({ figures, spread: Math.max(...landed) <= 0.6 * states.length }).toEqual({
      figures,
      spread: true,
    });
    expect({ figures, perRejoin: calls / states.length <= 0.1 }).toEqual({ figures, perRejoin: true });
  }, 240_000);
});
