import { BCAST_VERSION, BroadcastCommand, FrameError, LaneCode, unpackPairs } from '@live-im/broadcast';
import type { LaneBatch } from './lane-batch';
import { MAX_MESSAGES_PER_FRAME, type MergeLimits } from './merge-limits';
import { scanMessageMeta } from './message-meta-scan';
import { emptyNodeCounters, type NodeCounters } from './node-counters';
import type { RoomLanes } from './room-lanes';
import { RoomTable } from './room-table';
import { WindowDeadlines } from './window-deadlines';

// Read once: through the library's CommonJS re-exports every property access is a getter call.
const IMPORTANT: number = LaneCode.important;
const PUBLISH: number = BroadcastCommand.PUBLISH;
const unpack = unpackPairs;

/** Where finished frames go: [topic, batch meta, body], in the order they must leave. */
export type FramePublisher = (frames: Buffer[]) => void;

/** Called once per frame published; keep it cheap (it runs on the hot path). */
export type BatchObserver = (lane: LaneCode, count: number) => void;

/**
 * The merge logic of a broadcast node, free of sockets and timers: PUSH messages in, batch frames
 * out. Important messages leave in the turn they were read, one frame per room per PUSH message;
 * normal messages wait in a per-room merge window, under a per-room per-second cap. Time comes in
 * as `now` (monotonic ms), so tests drive it by hand.
 */
export class RoomMerger {
  readonly counters: NodeCounters = emptyNodeCounters();
  readonly rooms = new RoomTable();
  private readonly deadlines = new WindowDeadlines();
  /** Rooms holding important messages in the current turn; reused from turn to turn. */
  private readonly turnRooms: RoomLanes[] = [];
  private turn = 0;
  private readonly maxMessages: number;
  private readonly closeExpired = (room: RoomLanes, generation: number): void => {
    if (room.windowGeneration === generation && room.normal.count > 0) this.emit(room, room.normal);
  };

  constructor(
    private readonly limits: MergeLimits,
    private readonly publish: FramePublisher,
    private readonly onBatch?: BatchObserver,
  ) {
    this.maxMessages = Math.min(limits.maxMessages, MAX_MESSAGES_PER_FRAME);
  }

  /** A room got its first subscriber (or more): it now takes merge work. */
  setSubscribers(roomId: string, subscribers: number): void {
    if (subscribers > 0) {
      this.rooms.add(roomId).subscribers = subscribers;
      return;
    }
    const room = this.rooms.get(roomId);
    if (!room) return;
    // What the window holds was accepted while the room had subscribers: it leaves, in order.
    if (room.normal.count > 0) this.emit(room, room.normal);
    this.rooms.remove(room);
  }

  /** One message read from PULL: [header, batch of (meta, body) pairs]. Never throws on bad input. */
  acceptPush(frames: Buffer[], now: number): void {
    this.expire(now);
    const pairs = this.readPairs(frames);
    if (pairs === undefined) {
      this.counters.malformed += 1;
      return;
    }
    this.turn += 1;
    const counters = this.counters;
    for (let i = 0; i < pairs.length; i += 2) {
      const meta = pairs[i] as Buffer;
      const body = pairs[i + 1] as Buffer;
      const hash = scanMessageMeta(meta);
      // An empty body would make the joined array invalid JSON.
      if (hash < 0 || body.length === 0) {
        counters.malformed += 1;
        continue;
      }
      const important = meta[0] === IMPORTANT;
      const seq = meta.readDoubleLE(1);
      counters.msgsIn += 1;
      if (important) counters.importantIn += 1;
      else counters.normalIn += 1;
      const room = this.rooms.findByMeta(meta, hash);
      if (room === undefined) {
        counters.noSubscriber += 1;
        continue;
      }
      if (important) this.addImportant(room, seq, body);
      else this.addNormal(room, seq, body, now);
    }
    this.endTurn();
  }

  /** Closes every merge window whose time has come. */
  expire(now: number): void {
    this.deadlines.popDue(now, this.closeExpired);
  }

  /** Publishes every open normal window now (ownership loss of the room, drain, close). */
  flushWhere(predicate: (room: RoomLanes) => boolean): number {
    let flushed = 0;
    for (const room of this.rooms.values()) {
      if (room.normal.count > 0 && predicate(room)) {
        this.emit(room, room.normal);
        flushed += 1;
      }
    }
    return flushed;
  }

  flushAll(): number {
    return this.flushWhere(() => true);
  }

  /** Subscribed rooms and their summed subscriber counts, for load reports. */
  get roomCount(): number {
    return this.rooms.size;
  }

  private readPairs(frames: Buffer[]): Buffer[] | undefined {
    const header = frames[0];
    if (
      frames.length !== 2 ||
      header === undefined ||
      header.length !== 2 ||
      header[0] !== BCAST_VERSION ||
      header[1] !== PUBLISH
    ) {
      return undefined;
    }
    try {
      return unpack(frames[1] as Buffer);
    } catch (error) {
      if (error instanceof FrameError) return undefined;
      throw error;
    }
  }

  private addImportant(room: RoomLanes, seq: number, body: Buffer): void {
    const batch = room.important;
    // A seq that goes backwards (a publisher re-sending) closes the frame: a frame's seqs ascend.
    if (batch.count > 0 && (seq <= batch.lastSeq || batch.count >= MAX_MESSAGES_PER_FRAME)) this.emit(room, batch);
    if (room.turn !== this.turn) {
      room.turn = this.turn;
      this.turnRooms.push(room);
    }
    batch.add(seq, body);
  }

  private addNormal(room: RoomLanes, seq: number, body: Buffer, now: number): void {
    const limits = this.limits;
    if (!room.cap.admit(now, limits.capPerSec + limits.capPerSubscriber * room.subscribers)) {
      this.counters.droppedCap += 1;
      return;
    }
    const window = room.normal;
    if (window.count > 0 && seq <= window.lastSeq) this.emit(room, window);
    if (window.count === 0) {
      room.windowGeneration += 1;
      this.deadlines.push(room, room.windowGeneration, now + limits.windowMs);
    }
    window.add(seq, body);
    if (window.count >= this.maxMessages) this.emit(room, window);
  }

  private endTurn(): void {
    const rooms = this.turnRooms;
    for (let i = 0; i < rooms.length; i += 1) {
      const room = rooms[i] as RoomLanes;
      if (room.important.count > 0) this.emit(room, room.important);
    }
    rooms.length = 0;
  }

  private emit(room: RoomLanes, batch: LaneBatch): void {
    const count = batch.count;
    const lane = batch.lane;
    this.publish(batch.take(room.topic));
    const counters = this.counters;
    counters.msgsOut += count;
    counters.batchesOut += 1;
    if (lane === LaneCode.important) {
      counters.importantOut += count;
      counters.importantBatches += 1;
    } else {
      counters.normalOut += count;
      counters.normalBatches += 1;
    }
    this.onBatch?.(lane, count);
  }
}
