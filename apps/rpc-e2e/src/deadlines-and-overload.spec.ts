import { ErrorCode, RpcError } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { InboundRequest, RpcClient } from '@live-im/zmq-transport';
import { BrokerNode, RpcCluster } from './support/rpc-cluster';

const MAX_QUEUE = 200;

/** The error code a call settled with, or 'OK'. */
function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'OK',
    (error: unknown) => RpcError.from(error).code,
  );
}

/**
 * A service whose handler the test holds: `slow.hold` runs until released, `slow.count` answers
 * at once. Every run is counted by the payload's tag, so a test can prove a handler never ran.
 */
class HeldService {
  readonly runs = new Map<string, number>();
  private releases: Array<() => void> = [];

  dispatch = (pattern: string, payload: unknown, request: InboundRequest): void => {
    const tag = (payload as { tag: string }).tag;
    this.runs.set(tag, (this.runs.get(tag) ?? 0) + 1);
    if (pattern === 'slow.hold') this.releases.push(() => request.value({ tag }, true));
    else request.value({ tag }, true);
  };

  get holding(): number {
    return this.releases.length;
  }

  ran(tag: string): number {
    return this.runs.get(tag) ?? 0;
  }

  releaseAll(): void {
    for (const release of this.releases.splice(0)) release();
  }
}

describe('deadlines, missing services and overload', () => {
  const cluster = new RpcCluster('deadlines');
  const held = new HeldService();
  let broker: BrokerNode;
  let client: RpcClient;

  beforeAll(async () => {
    broker = await cluster.startBroker({ MAX_QUEUE: String(MAX_QUEUE), SERVICE_GRACE_MS: '500' });
    // Capacity 1: one held call keeps every other call of the service in the broker's queue.
    cluster.worker({ service: 'slow', capacity: 1, dispatch: held.dispatch });
    client = cluster.client();
    await waitFor(async () => (await cluster.workersOf(broker, 'slow')).length === 1, {
      what: 'the slow worker',
    });
  });

  afterAll(async () => {
    held.releaseAll();
    await cluster.close();
  });

  afterEach(() => held.releaseAll());

  it('answers SERVICE_UNAVAILABLE for a service no worker serves', async () => {
    const before = (await cluster.stats(broker)).counters.serviceUnavailable;
    // The broker's answer after its grace period, not the deadline: that would be DEADLINE_EXCEEDED.
    await expect(outcome(client.call('nosuch.op', {}, { timeoutMs: 30_000 }))).resolves.toBe(
      ErrorCode.SERVICE_UNAVAILABLE,
    );
    expect((await cluster.stats(broker)).counters.serviceUnavailable).toBe(before + 1);
  });

  it('answers DEADLINE_EXCEEDED for calls whose deadline passes in the queue, and never runs their handler', async () => {
    const expiredBefore = (await cluster.stats(broker)).counters.expired;
    const blocker = outcome(client.call('slow.hold', { tag: 'blocker' }, { timeoutMs: 20_000 }));
    await waitFor(() => held.holding === 1, { what: 'the blocker to hold the only credit' });

    const queued = Array.from({ length: 20 }, (_, i) =>
      outcome(client.call('slow.count', { tag: `late-${i}` }, { timeoutMs: 300 + i * 10 })),
    );
    // Expires while queued in the broker, a few ms after it arrives.
    const instant = outcome(client.call('slow.count', { tag: 'instant' }, { timeoutMs: 5 }));
    await waitFor(async () => (await cluster.stats(broker)).services['slow']?.queued === 0, {
      what: 'the broker to expire its queue',
    });

    expect(await Promise.all(queued)).toEqual(queued.map(() => ErrorCode.DEADLINE_EXCEEDED));
    expect(await instant).toBe(ErrorCode.DEADLINE_EXCEEDED);
    held.releaseAll();
    expect(await blocker).toBe('OK');
    // The worker is free again, and none of the expired calls reached it even now.
    await expect(outcome(client.call('slow.count', { tag: 'after' }, { timeoutMs: 5000 }))).resolves.toBe(
      'OK',
    );
    for (let i = 0; i < 20; i += 1) expect(held.ran(`late-${i}`)).toBe(0);
    expect(held.ran('instant')).toBe(0);
    expect(held.ran('blocker')).toBe(1);
    expect(held.ran('after')).toBe(1);
    // The broker, not only the client's own timer, answered them.
    expect((await cluster.stats(broker)).counters.expired - expiredBefore).toBeGreaterThanOrEqual(1);
  });

  it('answers OVERLOADED past MAX_QUEUE and keeps its queue and memory bounded', async () => {
    const blocker = outcome(client.call('slow.hold', { tag: 'blocker-2' }, { timeoutMs: 30_000 }));
    await waitFor(() => held.holding === 1, { what: 'the blocker to hold the only credit' });
    const rssBefore = await cluster.metric(broker, 'process_resident_memory_bytes');
    const overloadedBefore = (await cluster.stats(broker)).counters.overloaded;

    const ROUNDS = 4;
    const PER_ROUND = 10_000;
    const CHUNK = 500;
    let maxQueued = 0;
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; i < 10_000 && sampling; i += 1) {
        const queued = (await cluster.stats(broker)).services['slow']?.queued ?? 0;
        maxQueued = Math.max(maxQueued, queued);
      }
    })();

    const codes = new Map<string, number>();
    const count = (code: string) => codes.set(code, (codes.get(code) ?? 0) + 1);
    const queuedCalls: Array<Promise<string>> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      for (let sent = 0; sent < PER_ROUND; sent += CHUNK) {
        for (let i = sent; i < sent + CHUNK; i += 1) {
          const call = client.call(
            'slow.count',
            { tag: `flood-${round}-${i}`, pad: 'x'.repeat(200) },
            { timeoutMs: 30_000 },
          );
          queuedCalls.push(outcome(call).then((code) => (count(code), code)));
        }
        // In chunks: this process also hosts the worker and the client, whose heartbeats must go on.
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Past the bound every call is refused at once: only the first round fills the queue.
      const refusedBy = (round + 1) * PER_ROUND - MAX_QUEUE;
      await waitFor(() => (codes.get(ErrorCode.OVERLOADED) ?? 0) >= refusedBy, {
        timeoutMs: 20_000,
        what: `${refusedBy} calls refused OVERLOADED (at ${codes.get(ErrorCode.OVERLOADED) ?? 0})`,
      });
    }
    sampling = false;
    await sampler;
    const rssAfter = await cluster.metric(broker, 'process_resident_memory_bytes');
    const stats = await cluster.stats(broker);

    expect(stats.services['slow']?.queued).toBe(MAX_QUEUE);
    expect(maxQueued).toBeLessThanOrEqual(MAX_QUEUE);
    expect(Object.fromEntries(codes)).toEqual({ [ErrorCode.OVERLOADED]: ROUNDS * PER_ROUND - MAX_QUEUE });
    expect(stats.counters.overloaded - overloadedBefore).toBe(ROUNDS * PER_ROUND - MAX_QUEUE);
    expect(rssAfter - rssBefore).toBeLessThan(40 * 1024 * 1024);
    expect(rssAfter).toBeLessThan(400 * 1024 * 1024);

    // The queued ones are served once the worker is free.
    held.releaseAll();
    expect(await blocker).toBe('OK');
    await Promise.all(queuedCalls);
    expect(Object.fromEntries(codes)).toEqual({
      [ErrorCode.OVERLOADED]: ROUNDS * PER_ROUND - MAX_QUEUE,
      OK: MAX_QUEUE,
    });
  });
});
