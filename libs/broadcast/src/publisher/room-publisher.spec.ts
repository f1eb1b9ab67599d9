import { Pull } from 'zeromq';
import { broadcastNode, eventually, ScriptedManager } from '../__tests__/scripted-manager';
import { BroadcastCommand } from '../protocol/commands';
import { decodeRunMeta, encodeRun, readBcastHeader, unpackPairs } from '../protocol/frames';
import { rendezvousOwner } from '../protocol/rendezvous';
import { readRoomStates } from '../protocol/room-state';
import { SILENT_BROADCAST_LOGGER } from '../socket/broadcast-logger';
import { PublishBatch } from './publish-batch';
import { PublishRun } from './publish-run';
import { RoomPublisher } from './room-publisher';

interface Received {
  roomId: string;
  lane: number;
  seq: number;
  body: string;
  traceId?: string;
}

/** A broadcast node's PULL side: records every message and how many PUSH messages carried them. */
class ScriptedNode {
  readonly received: Received[] = [];
  /** Rooms of the ROOM_STATE pushes, one list per push. */
  readonly statePushes: string[][] = [];
  pushes = 0;
  runs = 0;
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
        if (readBcastHeader(head) === BroadcastCommand.ROOM_STATE) {
          this.statePushes.push(readRoomStates(batch as Buffer).rooms.map((r) => r.roomId));
          continue;
        }
        expect(readBcastHeader(head)).toBe(BroadcastCommand.PUBLISH_RUNS);
        this.pushes += 1;
        const parts = unpackPairs(batch as Buffer);
        for (let i = 0; i < parts.length; i += 2) {
          this.runs += 1;
          this.received.push(...runMessages(parts[i], parts[i + 1]));
        }
      }
    } catch {
      // Closed.
    }
  }
}

/** The messages of one run record pair, each envelope cut out of the joined body by its length. */
function runMessages(meta: Buffer, body: Buffer): Received[] {
  const run = decodeRunMeta(meta, body.length);
  let at = 0;
  return run.lengths.map((length, i) => {
    const message: Received = {
      roomId: run.roomId,
      lane: run.lane,
      seq: run.firstSeq + i,
      body: body.toString('utf8', at, at + length),
    };
    const traceId = run.traceIds?.[i];
    if (traceId) message.traceId = traceId;
    at += length + 1;
    return message;
  });
}

const ROOMS = Array.from({ length: 40 }, (_, i) => `room-${i}`);

describe('PublishRun and PublishBatch', () => {
  const room = Buffer.from('room-7', 'latin1');

  function runOf(
    lane: 0 | 1,
    firstSeq: number,
    bodies: Buffer[],
    traces: Array<string | undefined> = [],
  ): PublishRun {
    const run = new PublishRun();
    run.reset(lane, firstSeq, room);
    bodies.forEach((body, i) => run.add(body, traces[i], 1));
    return run;
  }

  it('writes the bytes encodeRun and packPairs would, growing as needed', () => {
    const bodies = [1, 2, 3, 4, 5].map((n) => Buffer.alloc(3000, 0x60 + n));
    const batch = new PublishBatch(0);
    batch.appendRun(runOf(1, 5, bodies));
    batch.appendRun(runOf(0, 1, [Buffer.from('{}')]));
    const expected = [
      ...encodeRun({ roomId: 'room-7', lane: 1, firstSeq: 5 }, bodies),
      ...encodeRun({ roomId: 'room-7', lane: 0, firstSeq: 1 }, [Buffer.from('{}')]),
    ];
    expect(unpackPairs(batch.finish())).toEqual(expected);
    expect(batch.count).toBe(6);
    expect(batch.charged).toBe(6);
  });

  it('carries a trace block once any message of the run has a trace id', () => {
    const run = runOf(
      0,
      9,
      [Buffer.from('{"a":1}'), Buffer.from('{"b":2}'), Buffer.from('{}')],
      [undefined, 'trace-1', undefined],
    );
    const batch = new PublishBatch(0);
    batch.appendRun(run);
    const [meta, body] = unpackPairs(batch.finish()) as [Buffer, Buffer];
    expect(body.toString()).toBe('{"a":1},{"b":2},{}');
    expect(decodeRunMeta(meta, body.length)).toEqual({
      roomId: 'room-7',
      lane: 0,
      firstSeq: 9,
      lengths: [7, 7, 2],
      traceIds: ['', 'trace-1', ''],
    });
    expect(batch.bytes).toBe(run.recordBytes);
  });

  it('takes only the seq that follows it, up to the run limit', () => {
    const run = runOf(0, 3, [Buffer.from('{}')]);
    expect(run.continuesWith(4)).toBe(true);
    expect(run.continuesWith(3)).toBe(false);
    expect(run.continuesWith(5)).toBe(false);
    for (let seq = 4; seq < 3 + 1024; seq += 1) run.add(Buffer.from('{}'), undefined, 1);
    expect(run.count).toBe(1024);
    expect(run.continuesWith(3 + 1024)).toBe(false);
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

  it("sends room states to each room's owner, one ROOM_STATE push per node", async () => {
    const states = ROOMS.map((roomId, i) => ({
      roomId,
      count: i,
      peak: i,
      viewersEver: i,
      normalSeq: 1,
      importantSeq: 2,
    }));
    expect(publisher.publishStates(states)).toBe(ROOMS.length);
    await eventually(() => nodeA.statePushes.length + nodeB.statePushes.length === 2);
    for (const [node, id] of [
      [nodeA, 'bn-a'],
      [nodeB, 'bn-b'],
    ] as const) {
      expect(node.statePushes).toHaveLength(1);
      for (const roomId of node.statePushes[0] ?? [])
        expect(rendezvousOwner(roomId, ['bn-a', 'bn-b'])).toBe(id);
    }
    expect(nodeA.statePushes.flat().length + nodeB.statePushes.flat().length).toBe(ROOMS.length);
    // States are not messages: no message counter moves.
    expect(publisher.stats).toMatchObject({ published: 0, unsent: 0, statesUnsent: 0 });
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
    // Each room's ten consecutive seqs travel as one run.
    expect(nodeA.runs + nodeB.runs).toBe(ROOMS.length);
    const room0 = [...nodeA.received, ...nodeB.received].filter((m) => m.roomId === 'room-0');
    expect(room0.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(room0[2]?.body).toBe('{"r":"room-0","s":3}');
    expect(publisher.stats.published).toBe(400);
  });

  it('keeps the seqs of a room lane in publish order when they do not follow each other, and carries trace ids', async () => {
    const body = (seq: number) => Buffer.from(`{"s":${seq}}`);
    for (const seq of [1, 2, 4, 5, 3])
      publisher.publish({ roomId: 'room-0', lane: 'normal', seq, body: body(seq), traceId: `req-${seq}` });
    publisher.publish({ roomId: 'room-0', lane: 'important', seq: 1, body: body(1) });
    await eventually(() => nodeA.received.length + nodeB.received.length === 6);
    const node = nodeA.received.length > 0 ? nodeA : nodeB;
    const normal = node.received.filter((m) => m.lane === 0);
    expect(normal.map((m) => [m.seq, m.body, m.traceId])).toEqual(
      [1, 2, 4, 5, 3].map((s) => [s, `{"s":${s}}`, `req-${s}`]),
    );
    expect(node.received.filter((m) => m.lane === 1).map((m) => [m.seq, m.traceId])).toEqual([
      [1, undefined],
    ]);
    // Runs [1, 2], [4, 5], [3] and the important lane's [1].
    expect(node.runs).toBe(4);
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
    for (const roomId of ROOMS)
      publisher.publish({ roomId, lane: 'important', seq: 1, body: Buffer.from('{}') });
    await eventually(() => nodeA.received.length === ROOMS.length);
    expect(nodeB.received).toHaveLength(0);
  });

  it('keeps user channels on a draining node for the handover, then moves them', async () => {
    const channels = Array.from({ length: 40 }, (_, i) => `_user-${i}`);
    const ownedByB = channels.filter((c) => publisher.ownerOf(c) === 'bn-b');
    expect(ownedByB.length).toBeGreaterThan(0);
    const next = { ...manager.topology, version: 2 };
    next.nodes = next.nodes.map((n) => (n.id === 'bn-b' ? { ...n, state: 'draining' as const } : n));
    await manager.announce(next, () => publisher.stats.nodes === 1);
    // Rooms leave at once; bn-b's channels still go to it.
    for (const roomId of [...ROOMS, ...channels])
      publisher.publish({ roomId, lane: 'important', seq: 1, body: Buffer.from('{}') });
    await eventually(() => nodeA.received.length + nodeB.received.length === ROOMS.length + channels.length);
    expect(nodeB.received.map((m) => m.roomId).sort()).toEqual([...ownedByB].sort());
    // After the handover (300 ms by default) they go to their owner among the active nodes.
    await eventually(() => publisher.ownerOf(ownedByB[0]) === 'bn-a', 2000);
    for (const roomId of ownedByB)
      publisher.publish({ roomId, lane: 'important', seq: 2, body: Buffer.from('{}') });
    await eventually(() => nodeA.received.filter((m) => m.seq === 2).length === ownedByB.length);
    expect(nodeB.received).toHaveLength(ownedByB.length);
  });

  it('counts messages with no active node as noRoute', async () => {
    await manager.announce({ version: 5, updatedAt: 0, nodes: [] }, () => publisher.stats.nodes === 0);
    expect(publisher.publish({ roomId: 'room-1', lane: 'normal', seq: 1, body: Buffer.from('{}') })).toBe(
      false,
    );
    expect(publisher.stats.noRoute).toBe(1);
    expect(() =>
      publisher.publish({ roomId: 'bad room', lane: 'normal', seq: 1, body: Buffer.from('{}') }),
    ).toThrow();
    expect(() =>
      publisher.publish({ roomId: 'room-1', lane: 'normal', seq: 0, body: Buffer.from('{}') }),
    ).toThrow();
  });
});
