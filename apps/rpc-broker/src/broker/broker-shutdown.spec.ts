import { freePorts, RecordingLogger, startWhenAddressFree, waitFor } from '@live-im/testing';
import { RpcClient, RpcWorker, SILENT_LOGGER as SILENT } from '@live-im/zmq-transport';
import { Broker } from './broker';
import { startBroker } from './__tests__/peers';

// Liveness is 3 heartbeats: 100 ms (0.3 s) was missed by a live broker when the one jest process
// holding brokers, worker and client stalled on a loaded host, failing calls as "broker died".
const HEARTBEAT_MS = 300;

/** Both ports of a running broker, so a restarted one can bind the same endpoints. */
function endpointsOf(broker: Broker): { frontendBind: string; backendBind: string } {
  return { frontendBind: broker.frontendEndpoint!, backendBind: broker.backendEndpoint! };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * docs/rpc-protocol.md "Broker shutdown": a broker stopped gracefully tells its clients CLOSING,
 * answers what it holds and only then closes, so restarting the brokers one at a time fails no
 * call — not even a non-idempotent one that cannot be re-sent.
 */
describe('Broker shutdown (CLOSING)', () => {
  const brokers: Broker[] = [];
  let worker: RpcWorker;
  let client: RpcClient;

  afterEach(async () => {
    await client?.close();
    await worker?.close();
    for (const broker of brokers.splice(0)) await broker.close();
  });

  async function cluster(): Promise<void> {
    // Ports outside the ephemeral range: clients and the worker reconnecting to a closed broker
    // cannot take them (a TCP self-connect) before its replacement binds them.
    const ports = await freePorts(4);
    for (const [i, brokerId] of ['b1', 'b2'].entries()) {
      brokers.push(
        await startBroker({
          heartbeatMs: HEARTBEAT_MS,
          brokerId,
          frontendBind: `tcp://127.0.0.1:${ports[2 * i]}`,
          backendBind: `tcp://127.0.0.1:${ports[2 * i + 1]}`,
        }),
      );
    }
    worker = new RpcWorker({
      brokers: brokers.map((b) => b.backendEndpoint!),
      service: 'slow',
      instance: 'slow-1',
      version: '1.0.0',
      capacity: 64,
      heartbeatMs: HEARTBEAT_MS,
      logger: SILENT,
      // Kept: handlers that take long enough that every drain finds calls in flight.
      dispatch: (_pattern, payload, request) => {
        setTimeout(() => request.value(payload, true), 150);
      },
    });
    worker.start();
    client = new RpcClient({
      brokers: brokers.map((b) => b.frontendEndpoint!),
      heartbeatMs: HEARTBEAT_MS,
      defaultTimeoutMs: 5000,
      logger: SILENT,
    });
    client.start();
    await waitFor(() => client.liveBrokers === 2, { what: 'both brokers live' });
    // Both brokers know the worker before load starts.
    await Promise.all([0, 1].map(() => client.call('slow.echo', { warm: true })));
  }

  it('restarting each broker in turn under load fails no non-idempotent call', async () => {
    await cluster();
    let sent = 0;
    const failures: string[] = [];
    let running = true;
    const load = (async () => {
      const inFlight = new Set<Promise<unknown>>();
      while (running) {
        const n = sent++;
        const call = client
          .call('slow.echo', { n }) // not idempotent: a lost call could not be re-sent
          .then((value) => {
            if ((value as { n: number }).n !== n) failures.push(`call ${n} got a wrong answer`);
          })
          .catch((error: Error) => failures.push(`call ${n}: ${error.message}`))
          .finally(() => inFlight.delete(call));
        inFlight.add(call);
        // Kept: the pacing tick of the load (a rate, not a wait for something to happen).
        await sleep(2);
      }
      await Promise.all(inFlight);
    })();

    try {
      for (const index of [0, 1]) {
        const old = brokers[index];
        const endpoints = endpointsOf(old);
        const sentBefore = sent;
        await waitFor(() => sent >= sentBefore + 50 && old.dispatcher.inFlightCount > 0, {
          what: `calls in flight at broker ${index + 1}`,
        });
        const heldAtStart = old.dispatcher.inFlightCount;
        await old.drainAndClose({ settleMs: HEARTBEAT_MS, maxWaitMs: 5000 });
        expect(heldAtStart).toBeGreaterThan(0);
        // The replacement binds the same endpoints; clients and the worker reconnect by themselves.
        brokers[index] = await startWhenAddressFree(() =>
          startBroker({ heartbeatMs: HEARTBEAT_MS, brokerId: `b${index + 1}-new`, ...endpoints }),
        );
        await waitFor(() => client.liveBrokers === 2, { what: 'the replacement live' });
      }
      // The restarted brokers carry calls again.
      await waitFor(() => brokers.every((b) => b.counters.requests > 0), {
        timeoutMs: 20_000,
        what: 'calls through both restarted brokers',
      });
    } finally {
      // Even when a step failed: the load must stop, or the test never ends.
      running = false;
      await load;
    }

    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(100);
  });

  it('a client that never heard CLOSING still gets it in answer to a PING, and no PONG', async () => {
    await cluster();
    const [draining] = brokers;
    // Settles long enough for a client started after it to PING it, even on a busy machine.
    const closed = draining.drainAndClose({ settleMs: 1000, maxWaitMs: 3000 });
    expect(draining.isRunning).toBe(false);
    // A second client arriving mid-drain treats that broker as not live.
    const lateLog = new RecordingLogger();
    const late = new RpcClient({
      brokers: [draining.frontendEndpoint!, brokers[1].frontendEndpoint!],
      heartbeatMs: HEARTBEAT_MS,
      logger: lateLog,
    });
    late.start();
    try {
      // It hears CLOSING from the draining broker (its PING's answer) and PONG from the other.
      await waitFor(() => late.liveBrokers === 1 && lateLog.lines.some((l) => l.includes('is closing')), {
        what: `CLOSING from ${draining.frontendEndpoint}`,
      });
      expect(late.liveBrokers).toBe(1);
      await expect(late.call('slow.echo', { n: 1 })).resolves.toEqual({ n: 1 });
    } finally {
      await late.close();
      await closed;
    }
  });
});
