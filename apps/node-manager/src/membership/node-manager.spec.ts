import { BroadcastCommand } from '@live-im/broadcast';
import { freePorts, startWhenAddressFree } from '@live-im/testing';
import type { NodeManager } from './node-manager';
import { ScriptedMember, startManager, TopologyWatcher } from './__tests__/scripted-member';

const BN1 = {
  id: 'bn-1',
  kind: 'broadcast',
  region: 'home',
  pull: 'tcp://10.0.0.7:5570',
  pub: 'tcp://10.0.0.7:5571',
};

describe('NodeManager over real sockets', () => {
  let manager: NodeManager;
  const closers: Array<{ close(): void }> = [];
  const member = () => {
    const m = new ScriptedMember(manager.routerEndpoint!);
    closers.push(m);
    return m;
  };
  const watcher = () => {
    const w = new TopologyWatcher(manager.pubEndpoint!);
    closers.push(w);
    return w;
  };

  beforeEach(async () => {
    manager = await startManager({ heartbeatMs: 100, activateTimeoutMs: 5_000, rebuildWindowMs: 0 });
  });

  afterEach(async () => {
    closers.splice(0).forEach((c) => c.close());
    await manager.close();
  });

  it('binds random loopback ports', () => {
    expect(manager.routerEndpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(manager.pubEndpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(manager.pubEndpoint).not.toBe(manager.routerEndpoint);
    expect(manager.isRunning).toBe(true);
  });

  it('registers, activates once the subscriber is connected, and publishes each change', async () => {
    const topology = watcher();
    const gateway = member();
    await gateway.register({ id: 'gw-1', kind: 'subscriber', region: 'home' });
    const node = member();
    const registered = await node.register(BN1);
    expect(registered.nodes).toEqual([{ ...BN1, state: 'joining' }]);

    const ack = (await gateway.ask(
      BroadcastCommand.HEARTBEAT,
      { id: 'gw-1', connected: ['bn-1'] },
      BroadcastCommand.HEARTBEAT_ACK,
    )) as { version: number };
    expect(ack.version).toBe(registered.version + 1);

    const active = await topology.until((t) => t.nodes[0]?.state === 'active');
    expect(active.version).toBe(ack.version);

    const asked = (await member().ask(BroadcastCommand.GET_TOPOLOGY, {}, BroadcastCommand.TOPOLOGY)) as {
      topology: unknown;
    };
    expect(asked.topology).toEqual(active);
  });

  it('republishes the topology every second without changing its version', async () => {
    const topology = watcher();
    const first = await topology.until(() => true);
    const firstAt = performance.now();
    const second = await topology.until(() => true);
    expect(second).toEqual(first);
    expect(performance.now() - firstAt).toBeGreaterThan(800);
  });

  it('answers UNKNOWN to a heartbeat from a stranger, drains on DRAIN, and declares the silent dead', async () => {
    const stranger = member();
    expect(await stranger.ask(BroadcastCommand.HEARTBEAT, { id: 'who' }, BroadcastCommand.UNKNOWN)).toEqual(
      {},
    );

    const node = member();
    await node.register(BN1);
    const topology = watcher();
    await node.send(BroadcastCommand.DRAIN, { id: 'bn-1' });
    await topology.until((t) => t.nodes[0]?.state === 'draining');
    // bn-1 now falls silent: dead after 3 heartbeat intervals, announced, then removed.
    await topology.until((t) => t.nodes[0]?.state === 'dead');
    await topology.until((t) => t.nodes.length === 0);
    expect(manager.counters.deaths).toBe(1);
  });

  it('judges silence to a tenth of a heartbeat, not up to a whole interval late', async () => {
    // Sweeping once per heartbeat, a member silent from just after a sweep waited a whole
    // interval more: dead after ~3000 ms here instead of ~600 (300 + a sweep of 300). The bound
    // sits between the two with over a second to spare for a busy machine.
    const slow = await startManager({ heartbeatMs: 3000, deadAfterMs: 300, rebuildWindowMs: 0 });
    const topology = new TopologyWatcher(slow.pubEndpoint!);
    const node = new ScriptedMember(slow.routerEndpoint!);
    try {
      await node.register(BN1);
      const silentFrom = performance.now();
      await topology.until((t) => t.nodes[0]?.state === 'dead');
      expect(performance.now() - silentFrom).toBeLessThan(2000);
    } finally {
      node.close();
      topology.close();
      await slow.close();
    }
  });

  it('serves an operator view of the cluster', async () => {
    const node = member();
    await node.register(BN1);
    const gateway = member();
    await gateway.register({ id: 'gw-1', kind: 'subscriber', region: 'home' });
    const load = {
      msgsIn: 10,
      msgsOut: 30,
      batchesOut: 3,
      importantIn: 1,
      normalIn: 9,
      droppedCap: 0,
      noSubscriber: 2,
      malformed: 0,
      rooms: 4,
      subscriptions: 5,
    };
    await node.ask(BroadcastCommand.HEARTBEAT, { id: 'bn-1', load }, BroadcastCommand.HEARTBEAT_ACK);
    await gateway.ask(
      BroadcastCommand.HEARTBEAT,
      { id: 'gw-1', connected: ['bn-1'] },
      BroadcastCommand.HEARTBEAT_ACK,
    );

    const view = manager.cluster();
    expect(view.nodes).toEqual([
      expect.objectContaining({ ...BN1, state: 'active', load, lastSeenMsAgo: expect.any(Number) }),
    ]);
    expect(view.members).toEqual([
      expect.objectContaining({ id: 'gw-1', kind: 'subscriber', state: 'active', connected: ['bn-1'] }),
    ]);
    expect(view.membersByKind.broadcast).toEqual({ active: 1 });
    expect(view.counters.heartbeats).toBe(2);
    expect(JSON.parse(JSON.stringify(view)).version).toBe(view.version);
  });
});

describe('NodeManager restart', () => {
  it('rebuilds the topology from members that re-register with their state', async () => {
    // Ports outside the ephemeral range: the member's reconnects cannot take them while closed.
    const [routerPort, pubPort] = (await freePorts(2)) as [number, number];
    const first = await startManager({
      routerBind: `tcp://127.0.0.1:${routerPort}`,
      pubBind: `tcp://127.0.0.1:${pubPort}`,
      heartbeatMs: 100,
      rebuildWindowMs: 0,
    });
    const router = first.routerEndpoint!;
    const pub = first.pubEndpoint!;
    const node = new ScriptedMember(router);
    try {
      const before = await node.register(BN1);
      expect(before.nodes).toEqual([{ ...BN1, state: 'active' }]);
      await first.close();

      // ZeroMQ releases a closed listener asynchronously: the same process may have to retry its bind.
      const second = await startWhenAddressFree(() =>
        startManager({ routerBind: router, pubBind: pub, heartbeatMs: 100 }),
      );
      try {
        // The member's DEALER reconnects by itself; its next heartbeat is news to the new manager.
        expect(await node.ask(BroadcastCommand.HEARTBEAT, { id: 'bn-1' }, BroadcastCommand.UNKNOWN)).toEqual(
          {},
        );
        // While rebuilding it takes the REGISTER but hands out no partial topology; the member
        // registers again each heartbeat and gets the rebuilt topology once the window closes.
        const topology = new TopologyWatcher(pub);
        try {
          await node.send(BroadcastCommand.REGISTER, { ...BN1, state: 'active' });
          const published = await topology.until(() => true);
          expect(second.cluster().manager.rebuilding).toBe(false);
          expect(published.nodes).toEqual(before.nodes);
        } finally {
          topology.close();
        }
        const after = await node.register({ ...BN1, state: 'active' });
        expect(after.nodes).toEqual(before.nodes);
        expect(after.version).toBeGreaterThan(before.version);
      } finally {
        await second.close();
      }
    } finally {
      node.close();
      await first.close();
    }
  });
});
