import { Topology } from '@live-im/contracts';
import { broadcastNode, delay, eventually, ScriptedManager } from '../__tests__/scripted-manager';
import { BroadcastCommand } from '../protocol/commands';
import { bcastHeader } from '../protocol/frames';
import { SILENT_BROADCAST_LOGGER } from '../socket/broadcast-logger';
import { ClusterMembership } from './cluster-membership';

const LOAD = {
  msgsIn: 1,
  msgsOut: 2,
  batchesOut: 1,
  importantIn: 0,
  normalIn: 1,
  droppedCap: 0,
  noSubscriber: 0,
  malformed: 0,
  rooms: 1,
  subscriptions: 1,
};

function topologyV(version: number, state: 'joining' | 'active' = 'active'): Topology {
  return {
    version,
    updatedAt: 1_700_000_000_000 + version,
    nodes: [broadcastNode('bn-1', state, 'tcp://127.0.0.1:7001', 'tcp://127.0.0.1:7002')],
  };
}

describe('ClusterMembership', () => {
  let manager: ScriptedManager;
  let member: ClusterMembership;

  beforeEach(async () => {
    manager = await ScriptedManager.start();
    manager.topology = topologyV(3);
    member = new ClusterMembership({
      managerRouter: manager.routerEndpoint,
      managerPub: manager.pubEndpoint,
      self: {
        id: 'bn-1',
        kind: 'broadcast',
        region: 'home',
        pull: 'tcp://127.0.0.1:7001',
        pub: 'tcp://127.0.0.1:7002',
      },
      heartbeatMs: 50,
      load: () => LOAD,
      connected: () => ['bn-2'],
      logger: SILENT_BROADCAST_LOGGER,
    });
  });

  afterEach(async () => {
    await member.close();
    manager.stop();
  });

  it('registers, takes the topology from REGISTERED, then heartbeats with load and connected', async () => {
    const seen: number[] = [];
    member.onTopology((t) => seen.push(t.version));
    await member.start();
    const register = await manager.next(BroadcastCommand.REGISTER);
    expect(register.body).toEqual({
      id: 'bn-1',
      kind: 'broadcast',
      region: 'home',
      pull: 'tcp://127.0.0.1:7001',
      pub: 'tcp://127.0.0.1:7002',
    });
    await eventually(() => member.topology?.version === 3);
    expect(member.selfState).toBe('active');
    expect(seen).toEqual([3]);
    const heartbeat = await manager.next(BroadcastCommand.HEARTBEAT);
    expect(heartbeat.body).toEqual({ id: 'bn-1', load: LOAD, connected: ['bn-2'] });
    expect(member.managerReachable).toBe(true);
  });

  it('registers again with its state when the manager answers UNKNOWN', async () => {
    await member.start();
    await manager.next(BroadcastCommand.REGISTER);
    const heartbeat = await manager.next(BroadcastCommand.HEARTBEAT);
    await manager.reply(heartbeat.peer, BroadcastCommand.UNKNOWN, {});
    const again = await manager.next(BroadcastCommand.REGISTER);
    expect(again.body['state']).toBe('active');
  });

  it('follows newer topologies from PUB and TOPOLOGY replies, ignores older and malformed ones', async () => {
    await member.start();
    const register = await manager.next(BroadcastCommand.REGISTER);
    await eventually(() => member.topology?.version === 3);
    await manager.announce(topologyV(5, 'joining'), () => member.topology?.version === 5);
    expect(member.selfState).toBe('joining');

    await manager.publish(topologyV(4));
    await manager.reply(register.peer, BroadcastCommand.TOPOLOGY, { topology: topologyV(2) });
    await manager.publishRaw([Buffer.from('topology'), Buffer.from('{"version":"x"}')]);
    await manager.replyRaw(register.peer, [bcastHeader(BroadcastCommand.TOPOLOGY), Buffer.from('not json')]);
    await eventually(() => member.stats.stale === 2 && member.stats.malformed === 2);
    expect(member.topology?.version).toBe(5);

    await manager.reply(register.peer, BroadcastCommand.TOPOLOGY, { topology: topologyV(6) });
    await eventually(() => member.topology?.version === 6);
  });

  it('asks for the topology when a heartbeat ack shows a newer version', async () => {
    await member.start();
    const register = await manager.next(BroadcastCommand.REGISTER);
    await eventually(() => member.topology?.version === 3);
    await manager.reply(register.peer, BroadcastCommand.HEARTBEAT_ACK, { version: 9 });
    await manager.next(BroadcastCommand.GET_TOPOLOGY);
  });

  it('starts without a manager, keeps the last topology while it is down, and re-registers when it is back', async () => {
    manager.stop();
    await member.start(); // resolves although nobody listens
    expect(member.topology).toBeUndefined();

    await manager.restart();
    await manager.next(BroadcastCommand.REGISTER);
    await eventually(() => member.topology?.version === 3);

    manager.stop();
    // After 3 silent heartbeats the member judges the manager gone.
    await eventually(() => !member.managerReachable);
    expect(member.topology?.version).toBe(3);

    manager.topology = topologyV(7);
    await manager.restart();
    const again = await manager.next(BroadcastCommand.REGISTER);
    expect(again.body['state']).toBe('active');
    await eventually(() => member.topology?.version === 7 && member.managerReachable);
  });

  it('follows a restarted manager whose versions went back, once only older ones come for 3 heartbeats', async () => {
    await member.start();
    await manager.next(BroadcastCommand.REGISTER);
    await eventually(() => member.topology?.version === 3);
    await manager.announce(topologyV(2), () => member.topology?.version === 2);
    expect(member.stats.stale).toBeGreaterThan(0);
  });

  it('does not judge the manager on a tick that comes late because the process stalled', async () => {
    await member.start();
    await manager.next(BroadcastCommand.REGISTER);
    await eventually(() => member.managerReachable);
    const until = Date.now() + 400; // blocks the event loop for 8 heartbeat periods
    while (Date.now() < until) {
      // busy wait
    }
    // Kept: a zero-length yield, so that the late heartbeat tick (and nothing after it) runs.
    await delay(0);
    expect(member.managerReachable).toBe(true);
  });

  it('sends DRAIN and registers as draining afterwards', async () => {
    await member.start();
    const register = await manager.next(BroadcastCommand.REGISTER);
    await eventually(() => member.topology?.version === 3);
    member.drain();
    expect((await manager.next(BroadcastCommand.DRAIN)).body).toEqual({ id: 'bn-1' });
    await manager.reply(register.peer, BroadcastCommand.UNKNOWN, {});
    expect((await manager.next(BroadcastCommand.REGISTER)).body['state']).toBe('draining');
  });

  it('refuses an identity the protocol cannot carry', () => {
    expect(
      () =>
        new ClusterMembership({
          managerRouter: 'tcp://127.0.0.1:1',
          managerPub: 'tcp://127.0.0.1:2',
          self: { id: 'bn-1', kind: 'broadcast', region: 'home' },
        }),
    ).toThrow();
  });
});
