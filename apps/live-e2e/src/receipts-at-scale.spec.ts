import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { Actor } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import { LiveCluster, type BusinessReceipt } from './support/live-cluster';
import type { LiveClient } from './support/live-client';
import { registerUser, roomIdFor } from './support/fixtures';

const VIEWERS = 2000;
/** Processes holding the viewers: the test process keeps the sender and the business worker responsive. */
const VIEWER_PROCESSES = 4;

type ViewerReply = { joined: number } | { acked: number; seen: number } | { error: string };

/** One child process of lean anonymous viewers (support/acking-viewers.js). */
class ViewerProcess {
  private readonly child: ChildProcess;
  private readonly replies: ViewerReply[] = [];

  constructor() {
    this.child = fork(join(__dirname, 'support/acking-viewers.js'), [], { stdio: 'inherit' });
    this.child.on('message', (reply: ViewerReply) => this.replies.push(reply));
  }

  async join(urls: string[], roomId: string, count: number): Promise<void> {
    this.child.send({ urls, roomId, count });
    const reply = await waitFor(() => this.replies.find((r) => 'joined' in r || 'error' in r), {
      timeoutMs: 180_000,
      what: `${count} viewers to join`,
    });
    if ('error' in reply) throw new Error(`viewers could not join: ${reply.error}`);
  }

  /** Acks the viewers' sockets got answered, and requireAck messages they got while not acking. */
  async report(): Promise<{ acked: number; seen: number }> {
    const before = this.replies.length;
    this.child.send({ report: true });
    const reply = await waitFor(() => this.replies.slice(before).find((r) => 'acked' in r), {
      timeoutMs: 10_000,
      what: 'a viewer report',
    });
    return 'acked' in reply ? reply : { acked: 0, seen: 0 };
  }

  stopAcking(): void {
    this.child.send({ acking: false });
  }

  close(): void {
    if (this.child.connected) this.child.send({ close: true });
    this.child.kill();
  }
}

describe('a room-wide requireAck push to 2,000 viewers', () => {
  jest.setTimeout(240_000);
  let cluster: LiveCluster;
  const roomId = roomIdFor('rcptscale');
  const business: BusinessReceipt[] = [];
  const businessBatches: number[] = [];
  const viewers: ViewerProcess[] = [];
  let sender: LiveClient;
  let from: Actor;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'rcptscale',
      // The default two room-service workers: each numbers the sender's notices from the channel's
      // shared counter and publishes its own, so some reach the node after later seqs; the node
      // publishes those late instead of dropping them, and the gateway delivers them.
      gatewayEnv: {
        CONNECT_BURST_PER_IP: String(VIEWERS * 2),
        MAX_CONNECTIONS_PER_IP: String(VIEWERS * 2),
        // Long enough for 2,000 acks on a loaded machine, short enough to wait for the expiry.
        RECEIPT_TIMEOUT_MS: '20000',
      },
    });
    cluster.businessWorker(business, businessBatches);
    await cluster.waitForService('business');
    const api = cluster.api(0);
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'receipts at scale', owner.user.userId);
    const session = await registerUser(api, 'poller');
    sender = (await cluster.joined(0, roomId, { token: session.token })).client;
    const { userId, nickname, level, role } = session.user;
    from = { userId, nickname, level, role };
    // Half the viewers on each gateway, spread over a few processes.
    const urls = cluster.gateways.map((g) => g.url);
    for (let i = 0; i < VIEWER_PROCESSES; i += 1) viewers.push(new ViewerProcess());
    await Promise.all(viewers.map((v) => v.join(urls, roomId, VIEWERS / VIEWER_PROCESSES)));
  }, 240_000);

  async function viewerTotals(): Promise<{ acked: number; seen: number }> {
    const reports = await Promise.all(viewers.map((v) => v.report()));
    return reports.reduce((sum, r) => ({ acked: sum.acked + r.acked, seen: sum.seen + r.seen }), {
      acked: 0,
      seen: 0,
    });
  }

  /** A gateway metric summed over the gateways. */
  async function gatewaysTotal(name: string, labels: Record<string, string>): Promise<number> {
    const values = await Promise.all(cluster.gateways.map((g) => g.metric(name, labels)));
    return values.reduce((a, b) => a + b, 0);
  }

  afterAll(async () => {
    for (const viewer of viewers) viewer.close();
    await cluster?.close();
  });

  it('brings 2,000 receipts to the sender and to the business in batched calls, none refused', async () => {
    const overloadedBefore = await cluster.broker.metric('rpc_broker_overloaded_total');
    const push = await cluster.api(0).push(roomId, {
      requireAck: true,
      ackTimeoutSec: 120,
      body: { poll: 'ready?' },
      from,
    });
    const mine = (r: { messageId: string }) => r.messageId === push.messageId;

    await waitFor(async () => (await viewerTotals()).acked === VIEWERS, {
      timeoutMs: 60_000,
      what: `all ${VIEWERS} viewers to ack`,
    });
    await waitFor(() => sender.receipts.filter(mine).length >= VIEWERS, {
      timeoutMs: 60_000,
      what: `${VIEWERS} receipts at the sender (${sender.receipts.filter(mine).length} came)`,
    });
    await waitFor(() => business.filter(mine).length >= VIEWERS, {
      timeoutMs: 60_000,
      what: `${VIEWERS} receipts at the business (${business.filter(mine).length} came)`,
    });

    const atSender = sender.receipts.filter(mine);
    expect(atSender).toHaveLength(VIEWERS);
    expect(new Set(atSender.map((r) => r.userId)).size).toBe(VIEWERS);
    expect(atSender.every((r) => r.status === 'delivered')).toBe(true);
    const atBusiness = business.filter(mine);
    expect(atBusiness).toHaveLength(VIEWERS);
    expect(new Set(atBusiness.map((r) => r.userId)).size).toBe(VIEWERS);
    expect(atBusiness.every((r) => r.status === 'delivered' && r.senderId === from.userId)).toBe(true);

    // Batched both ways: calls carry many receipts each (acks arrive spread over time, so a call
    // carries what a batch window gathered), and nothing was refused, dropped or re-sent.
    let calls = 0;
    for (const gateway of cluster.gateways) {
      calls += await gateway.metric('gateway_receipt_calls_total', { outcome: 'sent' });
      expect(await gateway.metric('gateway_receipt_reports_total', { outcome: 'dropped' })).toBe(0);
      expect(await gateway.metric('gateway_receipt_reports_total', { outcome: 'retried' })).toBe(0);
      expect(await gateway.metric('gateway_rpc_duration_seconds_count', { pattern: 'room.receipt' })).toBe(0);
    }
    const reported = (
      await Promise.all(
        cluster.gateways.map((g) => g.metric('gateway_receipt_reports_total', { outcome: 'sent' })),
      )
    ).reduce((a, b) => a + b, 0);
    expect(reported).toBe(VIEWERS);
    expect(calls).toBeLessThanOrEqual(VIEWERS / 10);
    expect(businessBatches.length).toBeLessThanOrEqual(VIEWERS / 10);
    expect(await cluster.broker.metric('rpc_broker_overloaded_total')).toBe(overloadedBefore);
    // Two workers' notices on one channel: whatever reached a node late was published, not dropped.
    expect(cluster.roomServices.length).toBeGreaterThanOrEqual(2);
    expect(await cluster.nodeMetric('broadcast_node_dropped_total', { reason: 'late' })).toBe(0);
  });

  it('reports 2,000 receipts that expire at one instant in a few full calls, none refused', async () => {
    for (const viewer of viewers) viewer.stopAcking();
    const before = {
      calls: await gatewaysTotal('gateway_receipt_calls_total', { outcome: 'sent' }),
      refused: await gatewaysTotal('gateway_receipt_calls_total', {}),
      overloaded: await cluster.broker.metric('rpc_broker_overloaded_total'),
      businessBatches: businessBatches.length,
      seen: (await viewerTotals()).seen,
    };
    const push = await cluster.api(1).push(roomId, {
      requireAck: true,
      ackTimeoutSec: 120,
      body: { poll: 'still there?' },
      from,
    });
    const mine = (r: { messageId: string }) => r.messageId === push.messageId;
    await waitFor(async () => (await viewerTotals()).seen - before.seen >= VIEWERS, {
      timeoutMs: 60_000,
      what: `the push at all ${VIEWERS} viewers`,
    });
    // Nobody acks: each gateway expires its 1,000 at RECEIPT_TIMEOUT_MS, all in one instant.
    await waitFor(() => sender.receipts.filter(mine).length >= VIEWERS, {
      timeoutMs: 90_000,
      what: `${VIEWERS} expired receipts at the sender`,
    });
    await waitFor(() => business.filter(mine).length >= VIEWERS, {
      timeoutMs: 30_000,
      what: `${VIEWERS} expired receipts at the business`,
    });
    const atSender = sender.receipts.filter(mine);
    expect(atSender).toHaveLength(VIEWERS);
    expect(new Set(atSender.map((r) => r.userId)).size).toBe(VIEWERS);
    expect(atSender.every((r) => r.status === 'expired')).toBe(true);
    const atBusiness = business.filter(mine);
    expect(atBusiness).toHaveLength(VIEWERS);
    expect(atBusiness.every((r) => r.status === 'expired')).toBe(true);

    // 1,000 at once per gateway: two full calls each, none refused or re-sent.
    const calls = (await gatewaysTotal('gateway_receipt_calls_total', { outcome: 'sent' })) - before.calls;
    expect(calls).toBeLessThanOrEqual(Math.ceil(VIEWERS / 500) + cluster.gateways.length);
    expect(await gatewaysTotal('gateway_receipt_calls_total', {})).toBe(before.refused + calls);
    expect(await gatewaysTotal('gateway_receipt_reports_total', { outcome: 'dropped' })).toBe(0);
    expect(await gatewaysTotal('gateway_receipt_reports_total', { outcome: 'retried' })).toBe(0);
    expect(businessBatches.length - before.businessBatches).toBeLessThanOrEqual(calls);
    expect(await cluster.broker.metric('rpc_broker_overloaded_total')).toBe(before.overloaded);
    expect(await cluster.nodeMetric('broadcast_node_dropped_total', { reason: 'late' })).toBe(0);
  });
});
