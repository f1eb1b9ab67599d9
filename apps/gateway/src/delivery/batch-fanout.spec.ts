import { performance } from 'node:perf_hooks';
import { waitFor } from '@live-im/testing';
import type { RoomBatch, RoomSubscriber } from '@live-im/broadcast';
import type { Actor, Lane, OnlineInfo } from '@live-im/contracts';
import type { GatewayConfig } from '../config';
import type { GatewayLogger } from '../gateway.tokens';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import type { FrameSet } from '../socket/event-frames';
import { SessionRegistry } from '../socket/session-registry';
import { SocketSession } from '../socket/socket-session';
import type { GatewaySocket } from '../socket/socket-types';
import { type SharedWrite, SharedOutcome, type SocketWriter } from '../socket/socket-writer';
import { BatchFanout } from './batch-fanout';
import type { ReceiptService } from './receipt-service';
import type { RoomMembership } from './room-membership';
import { SlowSocketPolicy } from './slow-socket-policy';

const ROOM = 'room-1';
const LIMITS = { slowSocketBytes: 1000, importantBacklogBytes: 5000 };

/** What one socket was written: per write, the events it held (`batch:<lane>:<first>-<last>`, `online:<count>`). */
type Writes = Map<SocketSession, string[][]>;

/** The writer as BatchFanout sees it, recording each write instead of making it. */
class RecordingWriter {
  readonly writes: Writes = new Map();
  readonly backlogs = new Map<SocketSession, number>();
  readonly disconnected: SocketSession[] = [];
  onSend: ((session: SocketSession) => void) | undefined;

  send(session: SocketSession, set: FrameSet): void {
    const events = set.events.map((event) => {
      if (event.event === 'online') return `online:${(event.args[0] as OnlineInfo).count}`;
      const info = event.args[0] as { lane: Lane; firstSeq: number; lastSeq: number };
      return `${event.event}:${info.lane}:${info.firstSeq}-${info.lastSeq}`;
    });
    const list = this.writes.get(session) ?? [];
    list.push(events);
    this.writes.set(session, list);
    this.onSend?.(session);
  }

  /** SocketWriter.writeShared's choice, on the recorded backlogs. */
  writeShared(session: SocketSession, write: SharedWrite): SharedOutcome {
    const backlog = this.backlog(session);
    if (backlog > write.cutAbove) {
      this.disconnect(session);
      return SharedOutcome.Cut;
    }
    const skip = backlog > write.skipNormalAbove;
    const set = skip ? write.withoutNormal : write.all;
    if (set.events.length > 0) this.send(session, set);
    return skip ? SharedOutcome.WithoutNormal : SharedOutcome.All;
  }

  countSharedWrites(): void {
    // Counted by the real writer only.
  }

  emitTo(): void {
    // Targeted events are not part of these tests.
  }

  backlog(session: SocketSession): number {
    return this.backlogs.get(session) ?? 0;
  }

  disconnect(session: SocketSession): void {
    this.disconnected.push(session);
  }
}

function batch(lane: Lane, first: number, last: number): RoomBatch {
  const seqs = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const body = JSON.stringify(seqs.map((seq) => ({ id: `${lane}${seq}`, seq, type: 'chat' })));
  return { roomId: ROOM, lane, firstSeq: first, lastSeq: last, count: seqs.length, body: Buffer.from(body) };
}

function online(count: number): OnlineInfo {
  return { roomId: ROOM, count, peak: count, viewersEver: count };
}

/** Until the fan-out has nothing left to write (its turns run on setImmediate). */
async function settled(fanout: BatchFanout): Promise<void> {
  for (let i = 0; i < 1000 && fanout.stats.queued > 0; i += 1) await new Promise(setImmediate);
  if (fanout.stats.queued > 0) throw new Error('the fan-out never settled');
}

describe('BatchFanout passes', () => {
  let registry: SessionRegistry;
  let writer: RecordingWriter;
  let fanout: BatchFanout;
  let sessions: SocketSession[];

  beforeEach(() => {
    registry = new SessionRegistry();
    writer = new RecordingWriter();
    const config = { NORMAL_PACE_MAX_MS: 0, NORMAL_PACE_FULL_SOCKETS: 1000 } as GatewayConfig;
    const membership = { hold: () => undefined, evict: () => true } as unknown as RoomMembership;
    const receipts = { track: () => undefined } as unknown as ReceiptService;
    const log = { error: () => undefined, warn: () => undefined } as unknown as GatewayLogger;
    fanout = new BatchFanout(
      config,
      writer as unknown as SocketWriter,
      registry,
      membership,
      receipts,
      new SlowSocketPolicy(LIMITS),
      new GatewayMetrics(),
      log,
    );
    fanout.start({ onBatch: () => undefined } as unknown as RoomSubscriber);
    sessions = Array.from({ length: 150 }, (_, i) => {
      const socket = { id: `s${i}`, connected: true } as unknown as GatewaySocket;
      const actor = { userId: `u${i}`, nickname: `u${i}`, role: 'viewer' } as unknown as Actor;
      const session = new SocketSession(socket, actor, true, null);
      session.rooms.set(ROOM, { state: 'joined', settled: Promise.resolve() });
      registry.add(session);
      registry.enterRoom(ROOM, session);
      return session;
    });
  });

  it('writes everything due for the room to each socket as one write: important first, then normal, then online', async () => {
    fanout.deliver(batch('normal', 1, 3));
    fanout.deliver(batch('important', 1, 1));
    fanout.online(online(150));
    await settled(fanout);
    for (const session of sessions) {
      expect(writer.writes.get(session)).toEqual([['batch:important:1-1', 'batch:normal:1-3', 'online:150']]);
    }
  });

  /** Paces the room's normal batches (and rests its online figures) for `maxMs`, whatever its size. */
  function paceBy(maxMs: number): void {
    (fanout as unknown as { pace: { maxMs: number; fullAtSockets: number } }).pace = {
      maxMs,
      fullAtSockets: 1,
    };
  }

  it('keeps online figures for the next batch to take along, or writes them alone after the pace', async () => {
    paceBy(50);
    fanout.online(online(150));
    fanout.deliver(batch('normal', 1, 1));
    await settled(fanout);
    fanout.online(online(151));
    await new Promise(setImmediate);
    expect(writer.writes.get(sessions[0])).toEqual([['batch:normal:1-1', 'online:150']]);
    await waitFor(() => writer.writes.get(sessions[0])?.length === 2, { what: 'the online figures alone' });
    await settled(fanout);
    for (const session of sessions) {
      expect(writer.writes.get(session)).toEqual([['batch:normal:1-1', 'online:150'], ['online:151']]);
    }
  });

  it('takes the chat held for the pace along with an important pass: one write instead of two', async () => {
    // A pace of a second: the second normal batch would wait that long for a write of its own.
    paceBy(1000);
    fanout.deliver(batch('normal', 1, 1));
    fanout.deliver(batch('normal', 2, 2));
    fanout.deliver(batch('important', 1, 1));
    await settled(fanout);
    expect(fanout.stats.paced).toBe(0);
    for (const session of sessions) {
      expect(writer.writes.get(session)).toEqual([
        ['batch:important:1-1', 'batch:normal:1-1', 'batch:normal:2-2'],
      ]);
    }
  });

  it('joins what arrives during a pass into the next one: a burst of gifts is one more write per socket', async () => {
    let burst = true;
    writer.onSend = () => {
      if (!burst) return;
      burst = false;
      for (let seq = 2; seq <= 6; seq += 1) fanout.deliver(batch('important', seq, seq));
      fanout.online(online(7));
    };
    fanout.deliver(batch('important', 1, 1));
    await settled(fanout);
    for (const session of sessions) {
      expect(writer.writes.get(session)).toEqual([
        ['batch:important:1-1'],
        ['batch:important:2-6', 'online:7'],
      ]);
    }
  });

  it('leaves the normal batches out for a socket behind, and cuts off one too far behind on important', async () => {
    const [behind, farBehind, healthy] = sessions;
    writer.backlogs.set(behind, LIMITS.slowSocketBytes + 1);
    writer.backlogs.set(farBehind, LIMITS.importantBacklogBytes + 1);
    fanout.deliver(batch('normal', 1, 2));
    await settled(fanout);
    fanout.deliver(batch('important', 1, 1));
    fanout.deliver(batch('normal', 3, 3));
    await settled(fanout);
    expect(writer.writes.get(healthy)).toEqual([
      ['batch:normal:1-2'],
      ['batch:important:1-1', 'batch:normal:3-3'],
    ]);
    expect(writer.writes.get(behind)).toEqual([['batch:important:1-1']]);
    expect(writer.writes.get(farBehind)).toBeUndefined();
    expect(writer.disconnected).toEqual([farBehind]);
  });

  it('serves a room with an important batch before a room with only normal ones', async () => {
    const other = 'room-2';
    const order: string[] = [];
    for (const session of sessions.slice(0, 70)) {
      session.rooms.set(other, { state: 'joined', settled: Promise.resolve() });
      registry.enterRoom(other, session);
    }
    writer.onSend = (session) => order.push(writer.writes.get(session)?.at(-1)?.[0] ?? '');
    fanout.deliver({ ...batch('normal', 1, 1), roomId: other });
    fanout.deliver(batch('important', 1, 1));
    await settled(fanout);
    expect(order[0]).toBe('batch:important:1-1');
    expect(order.indexOf('batch:normal:1-1')).toBeGreaterThan(0);
  });

  it('yields to the event loop between slices of a pass that takes longer than a turn', async () => {
    let written = 0;
    writer.onSend = () => {
      written += 1;
      // A costly write: 64 of them (a slice) take longer than a turn's budget.
      const until = performance.now() + 0.2;
      while (performance.now() < until) {
        // Busy.
      }
    };
    fanout.deliver(batch('important', 1, 1));
    let writtenAtFirstYield = -1;
    setImmediate(() => {
      writtenAtFirstYield = written;
    });
    await settled(fanout);
    expect(writtenAtFirstYield).toBeGreaterThan(0);
    expect(writtenAtFirstYield).toBeLessThan(sessions.length);
    expect(written).toBe(sessions.length);
  });
});
