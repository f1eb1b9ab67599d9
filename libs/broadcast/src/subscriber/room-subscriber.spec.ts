import { XPublisher } from 'zeromq';
import { broadcastNode, eventually, ScriptedManager } from '../__tests__/scripted-manager';
import { BroadcastCommand, LaneCode } from '../protocol/commands';
import { encodeBatchMeta, roomTopic } from '../protocol/frames';
import { rendezvousOwner } from '../protocol/rendezvous';
import { encodeRoomStateFrame, type RoomState } from '../protocol/room-state';
import { SILENT_BROADCAST_LOGGER } from '../socket/broadcast-logger';
import { RoomBatch, SeqGap } from './room-batch';
import { DEFAULT_BEACON_GRACE_MS, RoomSubscriber } from './room-subscriber';

/** A broadcast node's XPUB side: records (un)subscriptions and sends scripted batches. */
class ScriptedNode {
  readonly subscriptions: string[] = [];
  endpoint = '';
  private readonly socket = new XPublisher({ linger: 0 });

  static async bind(): Promise<ScriptedNode> {
    const node = new ScriptedNode();
    node.socket.verbosity = 'allSubsUnsubs';
    await node.socket.bind('tcp://127.0.0.1:0');
    node.endpoint = node.socket.lastEndpoint as string;
    void node.read();
    return node;
  }

  async batch(
    roomId: string,
    firstSeq: number,
    lastSeq: number,
    lane: LaneCode = LaneCode.normal,
  ): Promise<void> {
    const meta = encodeBatchMeta({ lane, count: lastSeq - firstSeq + 1, firstSeq, lastSeq });
    await this.socket.send([roomTopic(roomId), meta, Buffer.from(`[${firstSeq}]`)]);
  }

  async raw(frames: Buffer[]): Promise<void> {
    await this.socket.send(frames);
  }

  close(): void {
    this.socket.close();
  }

  private async read(): Promise<void> {
    try {
      for await (const [message] of this.socket) {
        if (!message) continue;
        this.subscriptions.push(`${message[0] === 1 ? '+' : '-'}${message.subarray(1).toString()}`);
      }
    } catch {
      // Closed.
    }
  }
}

describe('RoomSubscriber', () => {
  let manager: ScriptedManager;
  let nodeA: ScriptedNode;
  let subscriber: RoomSubscriber;
  let batches: RoomBatch[];
  let gaps: SeqGap[];

  beforeEach(async () => {
    manager = await ScriptedManager.start();
    nodeA = await ScriptedNode.bind();
    manager.topology = {
      version: 1,
      updatedAt: 0,
      nodes: [broadcastNode('bn-a', 'joining', null, nodeA.endpoint)],
    };
    subscriber = new RoomSubscriber({
      managerRouter: manager.routerEndpoint,
      managerPub: manager.pubEndpoint,
      id: 'gateway-1',
      region: 'home',
      heartbeatMs: 50,
      reorderWindowMs: 60,
      lossSettleMs: 300,
      channelHandoverMs: 200,
      logger: SILENT_BROADCAST_LOGGER,
    });
    batches = [];
    gaps = [];
    subscriber.onBatch((b) => batches.push(b));
    subscriber.onGap((g) => gaps.push(g));
    await subscriber.start();
    await eventually(() => subscriber.connected.includes('bn-a'));
  });

  afterEach(async () => {
    await subscriber.close();
    manager.stop();
    nodeA.close();
  });

  /** Sends until one gets through: the subscription travels to the node asynchronously. */
  async function primeRoom(node: ScriptedNode, roomId: string, seq: number): Promise<void> {
    await eventually(() => {
      if (!batches.some((b) => b.roomId === roomId)) void node.batch(roomId, seq, seq);
      return batches.some((b) => b.roomId === roomId);
    });
  }

  it('hands room states to its listeners and reports a seq a state names that never comes as a gap', async () => {
    const states: RoomState[] = [];
    subscriber.onState((state) => states.push(state));
    subscriber.join('room1');
    await primeRoom(nodeA, 'room1', 1);
    await nodeA.batch('room1', 2, 4);
    await eventually(() => batches.length === 2);
    const state = { count: 7, peak: 9, viewersEver: 12, normalSeq: 5, importantSeq: 0 };
    await nodeA.raw([roomTopic('room1'), encodeRoomStateFrame(state)]);
    await eventually(() => states.length === 1);
    expect(states[0]).toEqual({ roomId: 'room1', ...state });
    expect(subscriber.stateOf('room1')).toEqual({ roomId: 'room1', ...state });
    // Seq 5 never comes: after the grace the subscriber reports it, once.
    await eventually(() => gaps.length === 1);
    expect(gaps).toEqual([{ roomId: 'room1', lane: 'normal', fromSeq: 5, toSeq: 5 }]);
    expect(subscriber.stats).toMatchObject({ states: 1, beaconGaps: 1, gaps: 1 });
    // A state naming what was delivered asks for nothing; a broken one is counted.
    await nodeA.raw([roomTopic('room1'), encodeRoomStateFrame(state)]);
    await nodeA.raw([roomTopic('room1'), Buffer.from([1, 2, 3])]);
    await eventually(() => subscriber.stats.malformed === 1);
    await new Promise((resolve) => setTimeout(resolve, 2 * DEFAULT_BEACON_GRACE_MS));
    expect(gaps).toHaveLength(1);
    expect(subscriber.stats.states).toBe(2);
  });

  it('reports no gap when the seq a state names arrives within the grace', async () => {
    subscriber.join('room1');
    await primeRoom(nodeA, 'room1', 1);
    await nodeA.raw([
      roomTopic('room1'),
      encodeRoomStateFrame({ count: 1, peak: 1, viewersEver: 1, normalSeq: 2, importantSeq: 0 }),
    ]);
    await eventually(() => subscriber.stats.states === 1);
    await nodeA.batch('room1', 2, 2);
    await new Promise((resolve) => setTimeout(resolve, 2 * DEFAULT_BEACON_GRACE_MS));
    expect(gaps).toEqual([]);
    expect(batches.map((b) => b.lastSeq)).toEqual([1, 2]);
  });

  it('reports the nodes it connected to in its heartbeats', async () => {
    const register = await manager.next(BroadcastCommand.REGISTER);
    expect(register.body).toEqual({ id: 'gateway-1', kind: 'subscriber', region: 'home' });
    await eventually(() =>
      manager.take(BroadcastCommand.HEARTBEAT).some((h) => String(h.body['connected']) === 'bn-a'),
    );
  });

  it('subscribes on the first member of a room and unsubscribes on the last', async () => {
    subscriber.join('room1');
    subscriber.join('room1');
    await eventually(() => nodeA.subscriptions.length === 1);
    subscriber.leave('room1');
    // (Un)subscriptions travel in order: once a later one arrives, that leave sent nothing before it.
    subscriber.join('marker');
    await eventually(() => nodeA.subscriptions.length === 2);
    expect(nodeA.subscriptions).toEqual(['+r:room1:', '+r:marker:']);
    subscriber.leave('room1');
    await eventually(() => nodeA.subscriptions.length === 3);
    expect(nodeA.subscriptions).toEqual(['+r:room1:', '+r:marker:', '-r:room1:']);
    expect(subscriber.membersOf('room1')).toBe(0);
  });

  it('delivers in seq order within the window and keeps bodies as sent', async () => {
    subscriber.join('room1');
    await primeRoom(nodeA, 'room1', 1);
    await nodeA.batch('room1', 4, 5);
    await nodeA.batch('room1', 2, 3);
    await nodeA.batch('room1', 1, 3, LaneCode.important);
    await eventually(() => batches.length === 4);
    expect(batches.map((b) => `${b.lane}:${b.firstSeq}-${b.lastSeq}`)).toEqual([
      'normal:1-1',
      'normal:2-3',
      'normal:4-5',
      'important:1-3',
    ]);
    expect(batches[2]?.body.toString()).toBe('[4]');
    expect(gaps).toEqual([]);
  });

  it('reports a gap once the window passes, and drops duplicates and malformed frames', async () => {
    const order: string[] = [];
    subscriber.onBatch((b) => order.push(`batch ${b.firstSeq}-${b.lastSeq}`));
    subscriber.onGap((g) => order.push(`gap ${g.fromSeq}-${g.toSeq}`));
    subscriber.join('room1');
    await primeRoom(nodeA, 'room1', 1);
    await nodeA.batch('room1', 5, 6);
    await eventually(() => batches.length === 2);
    expect(gaps).toEqual([{ roomId: 'room1', lane: 'normal', fromSeq: 2, toSeq: 4 }]);
    // 5..6 waited for the missing seqs until the window passed: the gap went out first.
    expect(order).toEqual(['batch 1-1', 'gap 2-4', 'batch 5-6']);

    await nodeA.batch('room1', 3, 4);
    await nodeA.raw([roomTopic('room1'), Buffer.alloc(20)]);
    await nodeA.raw([roomTopic('room1'), Buffer.alloc(20), Buffer.from('[]')]);
    await nodeA.raw([Buffer.from('r:bad room:'), Buffer.alloc(20), Buffer.from('[]')]);
    await nodeA.batch('room1', 7, 7);
    await eventually(() => batches.length === 3);
    expect(subscriber.stats.duplicates).toBe(1);
    expect(subscriber.stats.malformed).toBe(2);
    expect(batches[2]?.firstSeq).toBe(7);
    // 3..4 came after the gap was reported: late, not lost; 2 never came: lost once the gap settles.
    expect(subscriber.stats.late).toEqual({ normal: 2, important: 0 });
    await eventually(() => subscriber.stats.lost.normal === 1);
    expect(subscriber.stats.lost).toEqual({ normal: 1, important: 0 });
    expect(subscriber.roomLosses(20)).toEqual([{ roomId: 'room1', normal: 1, important: 0 }]);
    expect(subscriber.lossOf('room1')).toEqual({ roomId: 'room1', normal: 1, important: 0 });
  });

  it('counts the open gaps of a room its last member leaves as lost at once', async () => {
    subscriber.join('room3');
    await primeRoom(nodeA, 'room3', 1);
    await nodeA.batch('room3', 4, 4, LaneCode.important);
    await eventually(() => batches.filter((b) => b.roomId === 'room3').length === 2);
    await nodeA.batch('room3', 6, 6, LaneCode.important);
    await eventually(() => gaps.length === 1);
    subscriber.leave('room3');
    expect(subscriber.stats.lost).toEqual({ normal: 0, important: 1 });
    expect(subscriber.lossOf('room3')).toEqual({ roomId: 'room3', normal: 0, important: 1 });

    // Joined again, the room starts from a new baseline: what went by meanwhile is no second loss.
    subscriber.join('room3');
    await eventually(() => nodeA.subscriptions.filter((t) => t === '+r:room3:').length === 2);
    await eventually(() => {
      if (!batches.some((b) => b.roomId === 'room3' && b.firstSeq === 20))
        void nodeA.batch('room3', 20, 20, LaneCode.important);
      return batches.some((b) => b.roomId === 'room3' && b.firstSeq === 20);
    });
    // Without the new baseline, 20 would have waited out the window and come after a gap 7..19.
    expect(gaps).toHaveLength(1);
    expect(subscriber.stats.lost).toEqual({ normal: 0, important: 1 });
  });

  it('connects to nodes that join the topology and leaves those that vanish', async () => {
    const nodeB = await ScriptedNode.bind();
    try {
      subscriber.join('room2');
      await eventually(() => nodeA.subscriptions.length === 1);
      await manager.announce(
        { version: 2, updatedAt: 0, nodes: [broadcastNode('bn-b', 'joining', null, nodeB.endpoint)] },
        () => subscriber.membership.topology?.version === 2,
      );
      // The subscription follows to the new node by itself.
      await eventually(
        () => subscriber.connected.join() === 'bn-b' && nodeB.subscriptions.includes('+r:room2:'),
      );
      await primeRoom(nodeB, 'room2', 1);
      // The vanished node's 2 never arrives: 3 from the new node comes after a gap.
      await nodeA.batch('room2', 2, 2);
      await nodeB.batch('room2', 3, 3);
      await eventually(() => batches.length === 2);
      expect(batches.map((b) => b.firstSeq)).toEqual([1, 3]);
      expect(gaps).toEqual([{ roomId: 'room2', lane: 'normal', fromSeq: 2, toSeq: 2 }]);
    } finally {
      nodeB.close();
    }
  });

  it('subscribes a user channel only at its owner, and moves it there first when the owner changes', async () => {
    const nodeB = await ScriptedNode.bind();
    const nodes = { 'bn-a': nodeA, 'bn-b': nodeB };
    // A channel bn-a owns while alone and bn-b wins once it is active.
    const channel = Array.from({ length: 100 }, (_, i) => `_u${i}`).find(
      (id) => rendezvousOwner(id, ['bn-a', 'bn-b']) === 'bn-b',
    )!;
    const pull = 'tcp://127.0.0.1:9100';
    try {
      await manager.announce(
        {
          version: 2,
          updatedAt: 0,
          nodes: [broadcastNode('bn-a', 'active', pull, nodeA.endpoint)],
        },
        () => subscriber.membership.topology?.version === 2,
      );
      subscriber.join(channel);
      subscriber.join('room9');
      await eventually(() => nodeA.subscriptions.filter((t) => t === `+r:${channel}:`).length === 1);
      expect(subscriber.placesOf(channel)).toEqual(['bn-a']);

      // bn-b joins: the channel is subscribed there too before bn-b can be activated.
      await manager.announce(
        {
          version: 3,
          updatedAt: 0,
          nodes: [
            broadcastNode('bn-a', 'active', pull, nodeA.endpoint),
            broadcastNode('bn-b', 'joining', pull, nodeB.endpoint),
          ],
        },
        () => subscriber.membership.topology?.version === 3,
      );
      await eventually(() => nodeB.subscriptions.includes(`+r:${channel}:`));
      expect(subscriber.placesOf(channel)).toEqual(['bn-a', 'bn-b']);
      await eventually(() => subscriber.connected.sort().join() === 'bn-a,bn-b');

      // bn-b active: bn-a keeps the channel for the handover, then lets it go; rooms stay on both.
      await manager.announce(
        {
          version: 4,
          updatedAt: 0,
          nodes: [
            broadcastNode('bn-a', 'active', pull, nodeA.endpoint),
            broadcastNode('bn-b', 'active', pull, nodeB.endpoint),
          ],
        },
        () => subscriber.membership.topology?.version === 4,
      );
      await eventually(() => nodeA.subscriptions.includes(`-r:${channel}:`), 5000);
      expect(subscriber.placesOf(channel)).toEqual(['bn-b']);
      expect(subscriber.stats.channelMoves).toBe(1);
      for (const node of Object.values(nodes)) {
        expect(node.subscriptions.filter((t) => t === '+r:room9:')).toHaveLength(1);
      }
      // A batch on the channel from its owner is delivered like a room's.
      await primeRoom(nodeB, channel, 1);

      subscriber.leave(channel);
      await eventually(() => nodeB.subscriptions.includes(`-r:${channel}:`));
    } finally {
      nodeB.close();
    }
  });

  it('uses the relays of its own region instead of the broadcast nodes', async () => {
    const relay = await ScriptedNode.bind();
    try {
      await manager.announce(
        {
          version: 3,
          updatedAt: 0,
          nodes: [
            broadcastNode('bn-a', 'active', 'tcp://127.0.0.1:9100', nodeA.endpoint),
            {
              id: 'relay-eu',
              kind: 'relay',
              region: 'eu-west',
              state: 'active',
              pull: null,
              pub: 'tcp://127.0.0.1:9101',
            },
            {
              id: 'relay-home',
              kind: 'relay',
              region: 'home',
              state: 'active',
              pull: null,
              pub: relay.endpoint,
            },
          ],
        },
        () => subscriber.membership.topology?.version === 3,
      );
      await eventually(() => subscriber.connected.join() === 'relay-home');
    } finally {
      relay.close();
    }
  });
});
