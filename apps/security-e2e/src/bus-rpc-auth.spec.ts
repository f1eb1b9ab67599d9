import type { BusSecurity } from '@live-im/config';
import { ErrorCode, RpcError } from '@live-im/contracts';
import { metricSample, testBusSecurity, waitFor } from '@live-im/testing';
import { RpcClient, RpcWorker, routedCurveClientOptions, SILENT_LOGGER } from '@live-im/zmq-transport';
import { randomBytes } from 'node:crypto';
import { curveKeyPair, Dealer } from 'zeromq';
import { EdgeCluster } from './support/edge-cluster';

const AUTH_METRIC = 'bus_peer_auth_total';

/** A key pair no trust list names, with the real trust list: it knows the broker's public key. */
function rogueSecurity(): BusSecurity {
  const operator = testBusSecurity('rpc-cli');
  if (operator.mode !== 'curve') throw new Error('the e2e bus is secured');
  const pair = curveKeyPair();
  return {
    mode: 'curve',
    keyPair: { publicKey: pair.publicKey, secretKey: pair.secretKey },
    trust: operator.trust,
  };
}

/**
 * A plain (no CURVE) peer's refusals on one role: libzmq counts its failed handshake as `mechanism`
 * when the server read the peer's greeting, or `handshake_aborted` when the peer saw the server's
 * CURVE greeting first and hung up before sending its own (a timing race; docs/rpc-protocol.md).
 */
async function plainRefusals(url: string, role: string): Promise<number> {
  const mechanism = await metricSample(url, AUTH_METRIC, { role, reason: 'mechanism' });
  return mechanism + (await metricSample(url, AUTH_METRIC, { role, reason: 'handshake_aborted' }));
}

async function outcomeOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'answered',
    (error: unknown) => RpcError.from(error).code,
  );
}

/** issue 18, points 1 and 5: the broker's sockets admit only listed keys, each only for what it may do. */
describe('the RPC bus secured (CURVE + ZAP allow-lists) against a real cluster', () => {
  let cluster: EdgeCluster;
  const peers: Array<RpcClient | RpcWorker> = [];

  beforeAll(async () => {
    cluster = await EdgeCluster.start();
  });

  afterAll(async () => {
    await Promise.allSettled(peers.map((peer) => peer.close()));
    await cluster?.close();
  });

  function rogueWorker(security: BusSecurity | undefined, seen: string[]): RpcWorker {
    const worker = new RpcWorker({
      brokers: [cluster.brokerBackend],
      service: 'user',
      instance: `rogue-${randomBytes(3).toString('hex')}`,
      version: '6.6.6',
      heartbeatMs: 250,
      logger: SILENT_LOGGER,
      security,
      dispatch: (pattern, payload, request) => {
        seen.push(`${pattern} ${JSON.stringify(payload)}`);
        request.value({ userId: 'u_victim', token: 'forged' }, true);
      },
    });
    peers.push(worker);
    worker.start();
    return worker;
  }

  function client(security: BusSecurity | undefined): RpcClient {
    const rpc = new RpcClient({
      brokers: [cluster.brokerFrontend],
      heartbeatMs: 250,
      logger: SILENT_LOGGER,
      security,
    });
    peers.push(rpc);
    rpc.start();
    return rpc;
  }

  it('refuses a rogue user worker (unlisted key, or no CURVE): no login ever reaches it', async () => {
    const unknownBefore = await metricSample(cluster.broker.url, AUTH_METRIC, {
      role: 'rpc_backend',
      reason: 'unknown_key',
    });
    const plainBefore = await plainRefusals(cluster.broker.url, 'rpc_backend');
    const seen: string[] = [];
    rogueWorker(rogueSecurity(), seen);
    rogueWorker(undefined, seen);
    await waitFor(
      async () =>
        (await metricSample(cluster.broker.url, AUTH_METRIC, {
          role: 'rpc_backend',
          reason: 'unknown_key',
        })) > unknownBefore && (await plainRefusals(cluster.broker.url, 'rpc_backend')) > plainBefore,
      { what: 'both rogue workers refused at the handshake and counted' },
    );

    const username = `victim_${randomBytes(4).toString('hex')}`;
    const registered = await cluster.post('/api/auth/register', {
      username,
      password: 'a-password-1',
      nickname: 'v',
    });
    expect(registered.status).toBe(201);
    for (let i = 0; i < 8; i += 1) {
      const login = await cluster.post('/api/auth/login', { username, password: 'a-password-1' });
      expect(login.status).toBe(200);
    }
    expect(seen).toEqual([]);
  });

  it('limits a caller key to its patterns: the gateway key may not call user.ban, the operator key may', async () => {
    const before = await metricSample(cluster.broker.url, AUTH_METRIC, {
      role: 'rpc_frontend',
      reason: 'pattern_not_allowed',
    });
    const asGateway = client(testBusSecurity('gateway'));
    const asOperator = client(testBusSecurity('rpc-cli'));

    expect(
      await outcomeOf(asGateway.call('user.ban', { userId: 'u_anyone', reason: 'x' }, { timeoutMs: 3000 })),
    ).toBe(ErrorCode.FORBIDDEN);
    expect(
      await outcomeOf(asGateway.call('user.updateProfile', { userId: 'u_anyone' }, { timeoutMs: 3000 })),
    ).toBe(ErrorCode.FORBIDDEN);
    expect(
      await metricSample(cluster.broker.url, AUTH_METRIC, {
        role: 'rpc_frontend',
        reason: 'pattern_not_allowed',
      }),
    ).toBe(before + 2);
    // The operator's call reaches user-service, which judges the payload itself.
    expect(await outcomeOf(asOperator.call('user.ban', {}, { timeoutMs: 3000 }))).toBe(
      ErrorCode.INVALID_ARGUMENT,
    );
    // And the gateway key still calls what it is listed for.
    expect(await outcomeOf(asGateway.call('user.guest', {}, { timeoutMs: 3000 }))).toBe('answered');
  });

  it('refuses callers with no CURVE or an unlisted key: nothing they send is served', async () => {
    const plainBefore = await plainRefusals(cluster.broker.url, 'rpc_frontend');
    const unknownBefore = await metricSample(cluster.broker.url, AUTH_METRIC, {
      role: 'rpc_frontend',
      reason: 'unknown_key',
    });
    const outcomes = await Promise.all(
      [client(undefined), client(rogueSecurity())].map((rpc) =>
        outcomeOf(rpc.call('user.ban', { userId: 'u_anyone', reason: 'x' }, { timeoutMs: 1500 })),
      ),
    );
    expect(outcomes).not.toContain('answered');
    expect(outcomes).not.toContain(ErrorCode.INVALID_ARGUMENT);
    // Both refused at the handshake and counted: the unlisted key by ZAP, the plain caller as a
    // failed handshake.
    await waitFor(
      async () =>
        (await metricSample(cluster.broker.url, AUTH_METRIC, {
          role: 'rpc_frontend',
          reason: 'unknown_key',
        })) > unknownBefore && (await plainRefusals(cluster.broker.url, 'rpc_frontend')) > plainBefore,
      { what: 'the unlisted and the plain caller refused at the handshake and counted' },
    );
  });

  it('cuts an admitted caller that sends a frame over the frontend limit, and counts it', async () => {
    const before = await metricSample(cluster.broker.url, 'rpc_broker_peer_disconnects_total', {
      socket: 'frontend',
    });
    const operator = testBusSecurity('rpc-cli');
    const brokerKey = operator.mode === 'curve' ? operator.trust.rpcBroker : undefined;
    const socket = new Dealer({ linger: 0, ...routedCurveClientOptions(operator, brokerKey) });
    try {
      socket.connect(cluster.brokerFrontend);
      // 3 MiB: over the frontend's 2 MiB frame limit at the default MAX_BODY_BYTES.
      await socket.send([Buffer.from([1, 1]), Buffer.alloc(3 * 1024 * 1024)]);
      await waitFor(
        async () =>
          (await metricSample(cluster.broker.url, 'rpc_broker_peer_disconnects_total', {
            socket: 'frontend',
          })) > before,
        { what: 'the oversized frame cut and counted' },
      );
    } finally {
      socket.close();
    }
    expect(
      await outcomeOf(client(testBusSecurity('gateway')).call('user.guest', {}, { timeoutMs: 3000 })),
    ).toBe('answered');
  });
});
