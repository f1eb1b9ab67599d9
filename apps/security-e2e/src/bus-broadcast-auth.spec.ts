import type { BusSecurity } from '@live-im/config';
import {
  bcastHeader,
  BroadcastCommand,
  broadcastCurveOptions,
  ClusterMembership,
  encodeMessageMeta,
  LaneCode,
  managerCurveOptions,
  nmMessage,
  packPairs,
  RoomSubscriber,
  SILENT_BROADCAST_LOGGER,
  type RoomBatch,
} from '@live-im/broadcast';
import { metricSample, testBusSecurity, testNodeMemberSecurity, waitFor } from '@live-im/testing';
import { randomBytes } from 'node:crypto';
import { curveKeyPair, Dealer, Push, Subscriber } from 'zeromq';
import { EdgeCluster } from './support/edge-cluster';

const AUTH_METRIC = 'bus_peer_auth_total';
const NODE_ID = 'security-bn1';

/** A key pair no trust list names, with the real trust list: it knows the servers' public keys. */
function rogueSecurity(): BusSecurity {
  const listed = testBusSecurity('gateway');
  if (listed.mode !== 'curve') throw new Error('the e2e bus is secured');
  const pair = curveKeyPair();
  return {
    mode: 'curve',
    keyPair: { publicKey: pair.publicKey, secretKey: pair.secretKey },
    trust: listed.trust,
  };
}

/** The PUSH frames of one chat message, as room-service sends them. */
function chatFrames(roomId: string, seq: number, text: string): Buffer[] {
  const meta = encodeMessageMeta({ roomId, lane: LaneCode.normal, seq });
  const body = Buffer.from(JSON.stringify([{ roomId, seq, lane: 'normal', type: 'chat', body: { text } }]));
  return [bcastHeader(BroadcastCommand.PUBLISH), packPairs([meta, body])];
}

/** issue 18, points 1 and 5: the broadcast node and the node manager admit only listed keys. */
describe('the broadcast bus secured (CURVE + ZAP allow-lists) against a real cluster', () => {
  let cluster: EdgeCluster;
  const closers: Array<() => unknown> = [];
  const roomId = `sec-${randomBytes(4).toString('hex')}`;
  let subscriber: RoomSubscriber;
  const seen: string[] = [];

  beforeAll(async () => {
    cluster = await EdgeCluster.start();
    subscriber = new RoomSubscriber({
      managerRouter: cluster.managerRouter,
      managerPub: cluster.managerPub,
      id: 'security-viewer',
      region: 'home',
      heartbeatMs: 250,
      logger: SILENT_BROADCAST_LOGGER,
      security: testBusSecurity('gateway'),
    });
    closers.push(() => subscriber.close());
    subscriber.onBatch((batch: RoomBatch) => seen.push(batch.body.toString('utf8')));
    await subscriber.start();
    subscriber.join(roomId);
    await waitFor(() => subscriber.stats.connected > 0, { what: 'the viewer connected to the node' });
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await cluster?.close();
  });

  function push(security: BusSecurity | undefined): Push {
    const socket = new Push({ linger: 0, ...broadcastCurveOptions(security) });
    closers.push(() => socket.close());
    socket.connect(cluster.nodePull);
    return socket;
  }

  async function nodeCount(role: string, reason: string): Promise<number> {
    return metricSample(cluster.node.url, AUTH_METRIC, { role, reason });
  }

  /**
   * A plain (no CURVE) peer's refusals on one role: `mechanism` when the node read its greeting,
   * `handshake_aborted` when it saw the node's CURVE greeting first and hung up (a timing race).
   */
  async function plainRefusals(role: string): Promise<number> {
    return (await nodeCount(role, 'mechanism')) + (await nodeCount(role, 'handshake_aborted'));
  }

  async function managerCount(reason: string): Promise<number> {
    return metricSample(cluster.manager.url, AUTH_METRIC, { role: 'node_manager_router', reason });
  }

  it('refuses a forged PUSH (unlisted key, or no CURVE): the room shows only what room-service sent', async () => {
    const listed = push(testBusSecurity('room-service'));
    await waitFor(
      async () => {
        await listed.send(chatFrames(roomId, 1, 'real one'));
        return seen.some((body) => body.includes('real one'));
      },
      { what: 'the listed publisher reaching the viewer' },
    );
    const unknownBefore = await nodeCount('broadcast_input', 'unknown_key');
    const plainBefore = await plainRefusals('broadcast_input');

    void push(rogueSecurity()).send(chatFrames(roomId, 2, 'forged by a stranger'));
    void push(undefined).send(chatFrames(roomId, 2, 'forged in plain'));
    await waitFor(
      async () =>
        (await nodeCount('broadcast_input', 'unknown_key')) > unknownBefore &&
        (await plainRefusals('broadcast_input')) > plainBefore,
      { what: 'the unlisted and the plain publisher refused and counted' },
    );

    // The forgers took nothing: the real seq 2 is delivered, and no forged text ever was.
    await listed.send(chatFrames(roomId, 2, 'real two'));
    await waitFor(() => seen.some((body) => body.includes('real two')), { what: 'the real seq 2 delivered' });
    expect(seen.join('\n')).not.toContain('forged');
  });

  it('refuses an unauthenticated subscribe: a plain or unlisted subscriber sees nothing', async () => {
    const unknownBefore = await nodeCount('broadcast_output', 'unknown_key');
    const plainBefore = await plainRefusals('broadcast_output');
    const snooped: Buffer[][] = [];
    for (const security of [undefined, rogueSecurity()]) {
      const snoop = new Subscriber({ linger: 0, receiveTimeout: 100, ...broadcastCurveOptions(security) });
      closers.push(() => snoop.close());
      snoop.connect(cluster.nodePub);
      snoop.subscribe();
      void (async () => {
        for await (const frames of snoop) snooped.push(frames);
      })().catch(() => undefined);
    }
    await waitFor(
      async () =>
        (await nodeCount('broadcast_output', 'unknown_key')) > unknownBefore &&
        (await plainRefusals('broadcast_output')) > plainBefore,
      { what: 'both snooping subscribers refused and counted' },
    );
    const listed = push(testBusSecurity('room-service'));
    await listed.send(chatFrames(roomId, 3, 'private three'));
    await waitFor(() => seen.some((body) => body.includes('private three')), {
      what: 'the viewer got seq 3',
    });
    expect(snooped).toEqual([]);
  });

  async function cluster$(): Promise<{ nodes: Array<{ id: string; pub?: string; state: string }> }> {
    return (await fetch(`${cluster.manager.url}/cluster`)).json() as Promise<{
      nodes: Array<{ id: string; pub?: string; state: string }>;
    }>;
  }

  function member(self: ConstructorParameters<typeof ClusterMembership>[0]['self'], security: BusSecurity) {
    const membership = new ClusterMembership({
      managerRouter: cluster.managerRouter,
      managerPub: cluster.managerPub,
      self,
      heartbeatMs: 250,
      logger: SILENT_BROADCAST_LOGGER,
      security,
    });
    closers.push(() => membership.close());
    return membership;
  }

  it('refuses a rogue node (unlisted key) and a listed key registering as a kind it may not be', async () => {
    const unknownBefore = await managerCount('unknown_key');
    const kindBefore = await managerCount('kind_not_allowed');
    const rogueEndpoints = { pull: 'tcp://127.0.0.1:1', pub: 'tcp://127.0.0.1:2' };
    await member(
      { id: 'rogue-bn', kind: 'broadcast', region: 'home', ...rogueEndpoints },
      rogueSecurity(),
    ).start();
    await member(
      { id: 'gateway-as-node', kind: 'broadcast', region: 'home', ...rogueEndpoints },
      testBusSecurity('gateway'),
    ).start();
    await waitFor(
      async () =>
        (await managerCount('unknown_key')) > unknownBefore &&
        (await managerCount('kind_not_allowed')) > kindBefore,
      { what: 'both refused by the node manager and counted' },
    );
    const ids = (await cluster$()).nodes.map((node) => node.id);
    expect(ids).not.toContain('rogue-bn');
    expect(ids).not.toContain('gateway-as-node');
  });

  it("refuses an impostor claiming the node's id (re-register or drain) and counts it", async () => {
    const before = (await cluster$()).nodes.find((node) => node.id === NODE_ID);
    expect(before?.state).toBe('active');
    const impostorsBefore = await managerCount('impostor');
    const impostor = member({ id: NODE_ID, kind: 'subscriber', region: 'home' }, testBusSecurity('gateway'));
    await impostor.start();
    impostor.drain();
    await waitFor(async () => (await managerCount('impostor')) >= impostorsBefore + 2, {
      what: 'the register and the drain refused as an impostor',
    });
    const after = (await cluster$()).nodes.find((node) => node.id === NODE_ID);
    expect(after).toMatchObject({ id: NODE_ID, state: 'active', pub: before?.pub });
  });

  it("refuses another node replica, itself a listed node, claiming the node's id, and counts each try", async () => {
    const before = (await cluster$()).nodes.find((node) => node.id === NODE_ID);
    expect(before?.state).toBe('active');
    // Replica B holds its own member key (as every deploy path gives each replica), listed as a node.
    const replicaB = new Dealer({
      linger: 0,
      ...managerCurveOptions(testNodeMemberSecurity('security-bn2')),
    });
    closers.push(() => replicaB.close());
    replicaB.connect(cluster.managerRouter);
    // B is legitimate under its own id: a relay of another region, so it takes none of this room.
    const ownId = 'security-relay-b';
    await replicaB.send(
      nmMessage(BroadcastCommand.REGISTER, {
        id: ownId,
        kind: 'relay',
        region: 'far',
        pub: 'tcp://127.0.0.1:2',
      }),
    );
    await waitFor(async () => (await cluster$()).nodes.some((node) => node.id === ownId), {
      what: 'replica B registered under its own id',
    });

    const impostorsBefore = await managerCount('impostor');
    const claimed = {
      id: NODE_ID,
      kind: 'broadcast',
      region: 'home',
      pull: 'tcp://127.0.0.1:1',
      pub: 'tcp://127.0.0.1:2',
    };
    await replicaB.send(nmMessage(BroadcastCommand.REGISTER, claimed));
    await replicaB.send(nmMessage(BroadcastCommand.HEARTBEAT, { id: NODE_ID }));
    await replicaB.send(nmMessage(BroadcastCommand.DRAIN, { id: NODE_ID }));
    await waitFor(async () => (await managerCount('impostor')) >= impostorsBefore + 3, {
      what: "B's register, heartbeat and drain of the node's id refused as an impostor",
    });
    const after = (await cluster$()).nodes.find((node) => node.id === NODE_ID);
    expect(after).toMatchObject({ id: NODE_ID, state: 'active', pub: before?.pub });
  });
});
