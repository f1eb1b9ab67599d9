import type { BusSecurity } from '@live-im/config';
import { ErrorCode, RpcError } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import {
  busAuthCount,
  makeBusKeySet,
  RpcClient,
  RpcWorker,
  SILENT_LOGGER,
  type BusKeySet,
} from '@live-im/zmq-transport';
import { curveKeyPair } from 'zeromq';
import type { Broker } from './broker';
import { BACKEND_ROLE, FRONTEND_ROLE } from './bus-access';
import { startBroker } from './__tests__/peers';

const KEY_SET: BusKeySet = makeBusKeySet([
  { name: 'rpc-broker' },
  { name: 'echo-worker', serves: ['echo'] },
  { name: 'gateway', calls: ['echo.say'] },
  { name: 'operator', calls: ['*'] },
]);

function securityOf(name: string, set: BusKeySet = KEY_SET): BusSecurity {
  return { mode: 'curve', keyPair: set.keys[name], trust: set.trust };
}

/** A key pair nobody listed, with the real trust list (it knows the broker's public key). */
/** A plain (no CURVE) caller is counted as `mechanism` or `handshake_aborted`, as its timing makes it. */
async function plainRefusals(): Promise<number> {
  return (
    (await busAuthCount(FRONTEND_ROLE, 'mechanism')) +
    (await busAuthCount(FRONTEND_ROLE, 'handshake_aborted'))
  );
}

function strangerSecurity(): BusSecurity {
  const pair = curveKeyPair();
  return {
    mode: 'curve',
    keyPair: { publicKey: pair.publicKey, secretKey: pair.secretKey },
    trust: KEY_SET.trust,
  };
}

/** issue 18 point 1: both broker sockets admit only listed keys, each only for what it lists. */
describe('Broker with the bus secured (CURVE + ZAP allow-lists)', () => {
  let broker: Broker;
  const clients: RpcClient[] = [];
  const workers: RpcWorker[] = [];
  const served: string[] = [];

  function client(security: BusSecurity | undefined): RpcClient {
    const c = new RpcClient({
      brokers: [broker.frontendEndpoint ?? ''],
      heartbeatMs: 100,
      logger: SILENT_LOGGER,
      security,
    });
    clients.push(c);
    c.start();
    return c;
  }

  function worker(service: string, instance: string, security: BusSecurity | undefined): RpcWorker {
    const w = new RpcWorker({
      brokers: [broker.backendEndpoint ?? ''],
      service,
      instance,
      version: '1.0.0',
      heartbeatMs: 100,
      lingerMs: 50,
      logger: SILENT_LOGGER,
      security,
      dispatch: (pattern, payload, request) => {
        served.push(`${instance}:${pattern}`);
        request.value({ echoed: payload, by: instance }, true);
      },
    });
    workers.push(w);
    w.start();
    return w;
  }

  beforeEach(async () => {
    served.length = 0;
    broker = await startBroker({ heartbeatMs: 100, serviceGraceMs: 300, security: securityOf('rpc-broker') });
  });

  afterEach(async () => {
    await Promise.all([...clients.splice(0), ...workers.splice(0)].map((peer) => peer.close()));
    await broker.close();
  });

  it('carries a call from a listed caller to a listed worker', async () => {
    worker('echo', 'echo-1', securityOf('echo-worker'));
    const gateway = client(securityOf('gateway'));
    await waitFor(() => broker.services()['echo']?.workers.length === 1, { what: 'echo worker registered' });
    await expect(gateway.call('echo.say', 'hi', { timeoutMs: 2000 })).resolves.toEqual({
      echoed: 'hi',
      by: 'echo-1',
    });
  });

  it("answers FORBIDDEN for a pattern outside the caller key's list, and counts it", async () => {
    worker('echo', 'echo-1', securityOf('echo-worker'));
    const gateway = client(securityOf('gateway'));
    const operator = client(securityOf('operator'));
    await waitFor(() => broker.services()['echo']?.workers.length === 1, { what: 'echo worker registered' });
    const before = await busAuthCount(FRONTEND_ROLE, 'pattern_not_allowed');

    const refused = await gateway.call('echo.ban', {}, { timeoutMs: 2000 }).then(
      () => undefined,
      (error: unknown) => RpcError.from(error).code,
    );

    expect(refused).toBe(ErrorCode.FORBIDDEN);
    expect(await busAuthCount(FRONTEND_ROLE, 'pattern_not_allowed')).toBe(before + 1);
    expect(served).not.toContain('echo-1:echo.ban');
    // The operator key may call every pattern.
    await expect(operator.call('echo.ban', 'x', { timeoutMs: 2000 })).resolves.toEqual({
      echoed: 'x',
      by: 'echo-1',
    });
  });

  it('refuses a worker whose key is not listed: no request ever reaches it', async () => {
    const before = await busAuthCount(BACKEND_ROLE, 'unknown_key');
    worker('echo', 'rogue', strangerSecurity());
    await waitFor(async () => (await busAuthCount(BACKEND_ROLE, 'unknown_key')) > before, {
      what: 'the rogue worker refused at the handshake',
    });
    const gateway = client(securityOf('gateway'));
    const outcome = await gateway.call('echo.say', 'secret', { timeoutMs: 1500 }).then(
      () => 'answered',
      (error: unknown) => RpcError.from(error).code,
    );
    expect(outcome).toBe(ErrorCode.SERVICE_UNAVAILABLE);
    expect(served).toEqual([]);
  });

  it('refuses a listed worker announcing a service its key does not list', async () => {
    const before = await busAuthCount(BACKEND_ROLE, 'service_not_allowed');
    worker('user', 'echo-as-user', securityOf('echo-worker'));
    await waitFor(async () => (await busAuthCount(BACKEND_ROLE, 'service_not_allowed')) > before, {
      what: 'the READY for a service the key does not serve refused',
    });
    expect(broker.services()['user']?.workers.length ?? 0).toBe(0);
  });

  it('refuses callers without CURVE or with an unlisted key, and counts both', async () => {
    worker('echo', 'echo-1', securityOf('echo-worker'));
    await waitFor(() => broker.services()['echo']?.workers.length === 1, { what: 'echo worker registered' });
    const plainBefore = await plainRefusals();
    const unknown = await busAuthCount(FRONTEND_ROLE, 'unknown_key');

    const plain = client(undefined);
    const stranger = client(strangerSecurity());
    const outcomes = await Promise.all(
      [plain, stranger].map((c) =>
        c.call('echo.say', 'x', { timeoutMs: 800 }).then(
          () => 'answered',
          (error: unknown) => RpcError.from(error).code,
        ),
      ),
    );

    expect(outcomes).not.toContain('answered');
    await waitFor(async () => (await plainRefusals()) > plainBefore, { what: 'plain caller counted' });
    await waitFor(async () => (await busAuthCount(FRONTEND_ROLE, 'unknown_key')) > unknown, {
      what: 'stranger counted',
    });
    expect(served).toEqual([]);
  });
});
