import { Pull } from 'zeromq';
import { broadcastNode, eventually, ScriptedManager } from '../__tests__/scripted-manager';
import { BroadcastCommand } from '../protocol/commands';
import { decodeMessageMeta, readBcastHeader, unpackPairs } from '../protocol/frames';
import { rendezvousOwner } from '../protocol/rendezvous';
import { SILENT_BROADCAST_LOGGER } from '../socket/broadcast-logger';
import { PublishBatch } from './publish-batch';
import { RoomPublisher } from './room-publisher';

interface Received {
  roomId: string;
  seq: number;
  body: string;
}

/** A broadcast node's PULL side: records every message and how many PUSH messages carried them. */
class ScriptedNode {
  readonly received: Received[] = [];
  pushes = 0;
  endpoint = '';
  private readonly socket = new Pull({ linger: 0 });

  static async bind(): Promise<ScriptedNode> {
    const node = new ScriptedNode();
    await node.socket.bind('tcp://127.0.0.1:0');
    node.endpoint = node.socket.lastEndpoint as string;
    void node.read();
    return node;
  }

  close(): void {
    this.socket.close();
  }

  private async read(): Promise<void> {
    try {
      for await (const [head, batch] of this.socket) {
        expect(readBcastHeader(head)).toBe(BroadcastCommand.PUBLISH);
        this.pushes += 1;
        const parts = unpackPairs(batch as Buffer);
        for (let i = 0; i < parts.length; i += 2) {
          const meta = decodeMessageMeta(parts[i] as Buffer);
          this.received.push({ roomId: meta.roomId, seq: meta.seq, body: (parts[i + 1] as Buffer).toString() });
        }
      }
    } catch {
      // Closed.
    }
  }
}

const ROOMS = Array.from({ length: 40 }, (_, i) => `room-${i}`);

describe('PublishBatch', () => {
  it('writes the bytes packPairs would, growing as needed', () => {
    const batch = new PublishBatch(0);
    const room = Buffer.from('room-7', 'latin1');
    const body = Buffer.alloc(3000, 0x61);
    for (let seq = 1; seq <= 5; seq += 1) batch.append(1, seq, room, body);
    const parts = unpackPairs(batch.finish());
    expect(parts).toHaveLength(10);
    expect(decodeMessageMeta(parts[8] as Buffer)).toEqual({ roomId: 'room-7', lane: 1, seq: 5 });
    expect((parts[9] as Buffer).equals(body)).toBe(true);
  });

  it('writes a trace id into the meta when there is one', () => {
    const batch = new PublishBatch(0);
    const room = Buffer.from('room-7', 'latin1');
    batch.append(0, 1, room, Buffer.from('{}'), 'trace-1');
    batch.append(0, 2, room, Buffer.from('{}'));
    const parts = unpackPairs(batch.finish());
    expect(batch.bytes).toBe(
      PublishBatch.sizeOf(room, Buffer.from('{}'), 'trace-1') + PublishBatch.sizeOf(room, Buffer.from('{}')),
    );
    expect(decodeMessageMeta(parts[0] as Buffer)).toEqual({
      roomId: 'room-7',
      lane: 0,
      seq: 1,
      traceId: 'trace-1',
    });
    expect(decodeMessageMeta(parts[2] as Buffer)).toEqual({ roomId: 'room-7', lane: 0, seq: 2 });
  });
});

describe('RoomPublisher', () => {
  let manager: ScriptedManager;
  let nodeA: ScriptedNode;
  let nodeB: ScriptedNode;
  let publisher: RoomPublisher;

  beforeEach(async () => {
    manager = await ScriptedManager.start();
    nodeA = await ScriptedNode.bind();
    nodeB = await ScriptedNode.bind();
    manager.topology = {
      version: 1,
      updatedAt: 0,
      nodes: [
        broadcastNode('bn-a', 'active', nodeA.endpoint, 'tcp://127.0.0.1:9001'),
        broadcastNode('bn-b', 'active', nodeB.endpoint, 'tcp://127.0.0.1:9002'),
        broadcastNode('bn-c', 'joining', 'tcp://127.0.0.1:9003', 'tcp://127.0.0.1:9004'),
      ],
    };
    publisher = new RoomPublisher({
      managerRouter: manager.routerEndpoint,
      managerPub: manager.pubEndpoint,
      id: 'room-service-1',
      region: 'home',
      heartbeatMs: 100,
      logger: SILENT_BROADCAST_LOGGER,
    });
    await publisher.start();
    await eventually(() => publisher.stats.nodes === 2);
  });

  afterEach(async () => {
    await publisher.close();
    manager.stop();
    nodeA.close();
    nodeB.close();
  });

  it('registers as a publisher', async () => {
    const register = await manager.next(BroadcastCommand.REGISTER);
    expect(register.body).toEqual({ id: 'room-service-1', kind: 'publisher', region: 'home' });
  });

  it('sends each room to its rendezvous owner among the active nodes, coalescing a turn into one PUSH', async () => {
    for (let seq = 1; seq <= 10; seq += 1) {
      for (const roomId of ROOMS) {
        publisher.publish({ roomId, lane: 'normal', seq, body: Buffer.from(`{"r":"${roomId}","s":${seq}}`) });
      }
    }
    await eventually(() => nodeA.received.length + nodeB.received.length === 400);
    for (const [node, id] of [
      [nodeA, 'bn-a'],
      [nodeB, 'bn-b'],
    ] as const) {
      expect(node.received.length).toBeGreaterThan(0);
      for (const m of node.received) expect(rendezvousOwner(m.roomId, ['bn-a', 'bn-b'])).toBe(id);
      // One turn: one PUSH message per node.
      expect(node.pushes).toBe(1);
    }
    const room0 = [...nodeA.received, ...nodeB.received].filter((m) => m.roomId === 'room-0');
    expect(room0.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(room0[2]?.body).toBe('{"r":"room-0","s":3}');
    expect(publisher.stats.published).toBe(400);
  });

  it('copies each body before publish returns, so a caller may reuse one buffer', async () => {
    const scratch = Buffer.from('{"n":0}');
    for (let n = 1; n <= 5; n += 1) {
      scratch[5] = 0x30 + n;
      publisher.publish({ roomId: 'room-0', lane: 'normal', seq: n, body: scratch });
    }
    scratch.fill(0x78);
    await eventually(() => nodeA.received.length + nodeB.received.length === 5);
    const bodies = [...nodeA.received, ...nodeB.received].map((m) => m.body);
    expect(bodies).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}', '{"n":5}']);
  });

  it('moves rooms when the set of active nodes changes', async () => {
    const ownedByB = ROOMS.filter((room) => publisher.ownerOf(room) === 'bn-b');
    expect(ownedByB.length).toBeGreaterThan(0);
    const next = { ...manager.topology, version: 2 };
    next.nodes = next.nodes.map((n) => (n.id === 'bn-b' ? { ...n, state: 'draining' as const } : n));
    await manager.announce(next, () => publisher.stats.nodes === 1);
    for (const roomId of ROOMS) publisher.publish({ roomId, lane: 'important', seq: 1, body: Buffer.from('{}') });
    await eventually(() => nodeA.received.length === ROOMS.length);
    expect(nodeB.received).toHaveLength(0);
  });

  it('counts messages with no active node as noRoute', async () => {
    await manager.announce({ version: 5, updatedAt: 0, nodes: [] }, () => publisher.stats.nodes === 0);
    expect(publisher.publish({ roomId: 'room-1', lane: 'normal', seq: 1, body: Buffer.from('{}') })).toBe(false);
    expect(publisher.stats.noRoute).toBe(1);
    expect(() => publisher.publish({ roomId: 'bad room', lane: 'normal', seq: 1, body: Buffer.from('{}') })).toThrow();
    expect(() => publisher.publish({ roomId: 'room-1', lane: 'normal', seq: 0, body: Buffer.from('{}') })).toThrow();
  });
});
