import {
  BCAST_VERSION,
  BroadcastCommand,
  countPairs,
  FrameError,
  hasValidIdBytes,
  hasValidMessageRoomId,
  LaneCode,
  messageHasTraceId,
  messageSeq,
  RUN_ROOM_ID_AT,
  runCount,
  runEnvelopeLength,
  runFirstSeq,
  runHasTraceIds,
  runRoomIdLength,
  scanMessageMeta,
  scanRunMeta,
} from '@live-im/broadcast';
import { HoldDeadlines } from './hold-deadlines';
import { LaneBatch } from './lane-batch';
import { MAX_MESSAGES_PER_FRAME, type MergeLimits } from './merge-limits';
import { emptyNodeCounters, type NodeCounters } from './node-counters';
import { LANE_IDLE_RESET_MS, MAX_PARKED_PER_LANE, type RoomLane } from './room-lane';
import type { RoomLanes } from './room-lanes';
import { RoomTable } from './room-table';
import { WindowDeadlines } from './window-deadlines';

// Read once: through the library's CommonJS re-exports every property access is a getter call.
const IMPORTANT: number = LaneCode.important;
const PUBLISH: number = BroadcastCommand.PUBLISH;
const PUBLISH_RUNS: number = BroadcastCommand.PUBLISH_RUNS;
const RUN_ID_AT: number = RUN_ROOM_ID_AT;
const checkPairs = countPairs;
// The BCAST/1 meta layout (libs/broadcast protocol/meta-layout.ts), read in place.
const scanMessage = scanMessageMeta;
const scanRun = scanRunMeta;
const validMessageRoomId = hasValidMessageRoomId;
const validIdBytes = hasValidIdBytes;
const seqOfMessage = messageSeq;
const messageTraced = messageHasTraceId;
const firstSeqOfRun = runFirstSeq;
const countOfRun = runCount;
const roomIdLengthOfRun = runRoomIdLength;
const runTraced = runHasTraceIds;
const envelopeLength = runEnvelopeLength;

/** Where finished frames go: [topic, batch meta, body], in the order they must leave. */
export type FramePublisher = (frames: Buffer[]) => void;

/** Called once per frame published; keep it cheap (it runs on the hot path). */
export type BatchObserver = (lane: LaneCode, count: number) => void;

/**
 * Called for each well-formed message meta (PUBLISH) or run meta (PUBLISH_RUNS, with the length of
 * its body) that carries trace ids, for debug log lines.
 */
export type TracedMessageObserver = (meta: Buffer, runBodyLength?: number) => void;

/**
 * The ordering and merge logic of a broadcast node, free of sockets and timers: PUSH messages in,
 * batch frames out. Several room-service workers publish one room lane, so its seqs arrive nearly,
 * not exactly, in order: per room lane the node emits in seq order, a message ahead of a missing
 * seq waiting up to `reorderHoldMs` for it (then the gap is given up and history covers it), and
 * every frame covers a contiguous seq range that follows the lane's previous frame (except a user
 * channel's late seq, which leaves on its own rather than be lost: see passLate). Important
 * messages in order leave in the turn they were read, one frame per room per PUSH message; normal
 * messages in order wait in a per-room merge window, under a per-room per-second cap. Time comes
 * in as `now` (monotonic ms), so tests drive it by hand.
 */
export class RoomMerger {
  readonly counters: NodeCounters = emptyNodeCounters();
  readonly rooms = new RoomTable();
  private readonly windows = new WindowDeadlines();
  private readonly holds = new HoldDeadlines();
  /** Rooms holding important messages in the current turn; reused from turn to turn. */
  private readonly turnRooms: RoomLanes[] = [];
  private turn = 0;
  private readonly maxMessages: number;
  private readonly holdMs: number;
  private readonly closeExpired = (room: RoomLanes, generation: number): void => {
    if (room.windowGeneration === generation && room.normal.batch.count > 0) this.emit(room.normal);
  };
  private readonly releaseExpired = (lane: RoomLane, generation: number, now: number): void => {
    if (lane.holdGeneration === generation) this.releaseDue(lane, now);
  };

  constructor(
    private readonly limits: MergeLimits,
    private readonly publish: FramePublisher,
    private readonly onBatch?: BatchObserver,
    private readonly onTraced?: TracedMessageObserver,
  ) {
    this.maxMessages = Math.min(limits.maxMessages, MAX_MESSAGES_PER_FRAME);
    this.holdMs = Math.max(0, limits.reorderHoldMs);
  }

  /**
   * A room's subscriber count changed. From 0 it starts taking merge work; at 0 what it holds
   * (accepted while it had subscribers) leaves, in order, and the room is forgotten.
   */
  setSubscribers(roomId: string, subscribers: number, now: number): void {
    if (subscribers > 0) {
      this.rooms.add(roomId).subscribers = subscribers;
      return;
    }
    const room = this.rooms.get(roomId);
    if (!room) return;
    this.release(room, now);
    this.rooms.remove(room);
  }

  /**
   * One message read from PULL: [header, batch of (meta, body) records]. Never throws on bad input.
   * The records are read where they lie (no Buffer per meta or body): an in-order envelope is
   * copied from here straight into its lane's frame; only one that must wait is kept as a view.
   */
  acceptPush(frames: Buffer[], now: number): void {
    this.expire(now);
    const batch = this.readBatch(frames);
    if (batch === undefined) {
      this.counters.malformed += 1;
      return;
    }
    this.turn += 1;
    if (frames[0]?.[1] === PUBLISH_RUNS) this.acceptRuns(batch, now);
    else this.acceptMessages(batch, now);
    this.endTurn();
  }

  /** PUBLISH: one (message meta, envelope) record pair per message. */
  private acceptMessages(batch: Buffer, now: number): void {
    const counters = this.counters;
    const onTraced = this.onTraced;
    const end = batch.length;
    let at = 0;
    while (at < end) {
      // The layout was checked whole by readBatch: every record is complete.
      const metaAt = at + 4;
      const metaLength = batch.readUInt32LE(at);
      const bodyAt = metaAt + metaLength + 4;
      const bodyEnd = bodyAt + batch.readUInt32LE(bodyAt - 4);
      at = bodyEnd;
      const hash = scanMessage(batch, metaAt, metaLength);
      // An empty body would make the joined array invalid JSON.
      if (hash < 0 || bodyEnd === bodyAt) {
        counters.malformed += 1;
        continue;
      }
      const room = this.rooms.findByMeta(batch, metaAt, hash);
      if (room === undefined && !validMessageRoomId(batch, metaAt)) {
        counters.malformed += 1;
        continue;
      }
      if (onTraced !== undefined && messageTraced(batch, metaAt, metaLength)) {
        onTraced(batch.subarray(metaAt, metaAt + metaLength));
      }
      // The lane is the first byte of a message meta and of a run meta.
      const important = batch[metaAt] === IMPORTANT;
      if (!this.countIn(important, 1, room)) continue;
      this.acceptOne(
        important ? room.important : room.normal,
        seqOfMessage(batch, metaAt),
        batch,
        bodyAt,
        bodyEnd,
        now,
      );
    }
  }

  /**
   * PUBLISH_RUNS: one (run meta, joined envelopes) record pair per run of consecutive seqs. A run
   * that starts at its lane's next seq with nothing waiting is copied into frames a chunk at a
   * time; any other goes message by message, exactly as the same messages sent one by one would.
   */
  private acceptRuns(batch: Buffer, now: number): void {
    const counters = this.counters;
    const onTraced = this.onTraced;
    const end = batch.length;
    let at = 0;
    while (at < end) {
      const metaAt = at + 4;
      const metaLength = batch.readUInt32LE(at);
      const bodyAt = metaAt + metaLength + 4;
      const bodyLength = batch.readUInt32LE(bodyAt - 4);
      at = bodyAt + bodyLength;
      const hash = scanRun(batch, metaAt, metaLength, bodyLength);
      if (hash < 0) {
        counters.malformed += 1;
        continue;
      }
      const idLength = roomIdLengthOfRun(batch, metaAt);
      const idAt = metaAt + RUN_ID_AT;
      const room = this.rooms.findById(batch, idAt, idLength, hash);
      if (room === undefined && !validIdBytes(batch, idAt, idAt + idLength)) {
        counters.malformed += 1;
        continue;
      }
      if (onTraced !== undefined && runTraced(batch, metaAt, metaLength)) {
        onTraced(batch.subarray(metaAt, metaAt + metaLength), bodyLength);
      }
      const count = countOfRun(batch, metaAt);
      const important = batch[metaAt] === IMPORTANT;
      if (!this.countIn(important, count, room)) continue;
      const lane = important ? room.important : room.normal;
      const firstSeq = firstSeqOfRun(batch, metaAt);
      const lengthsAt = idAt + idLength;
      if (firstSeq === lane.next && lane.parked.size === 0) {
        lane.lastArrivalAt = now;
        this.passRun(lane, batch, lengthsAt, bodyAt, firstSeq, count, now);
        continue;
      }
      let envelopeAt = bodyAt;
      for (let i = 0; i < count; i += 1) {
        const envelopeEnd = envelopeAt + envelopeLength(batch, lengthsAt, i);
        this.acceptOne(lane, firstSeq + i, batch, envelopeAt, envelopeEnd, now);
        envelopeAt = envelopeEnd + 1;
      }
    }
  }

  /** Counts `count` well-formed messages in; true when their room has subscribers (else they are counted as having none). */
  private countIn(important: boolean, count: number, room: RoomLanes | undefined): room is RoomLanes {
    const counters = this.counters;
    counters.msgsIn += count;
    if (important) counters.importantIn += count;
    else counters.normalIn += count;
    if (room !== undefined) return true;
    counters.noSubscriber += count;
    return false;
  }

  /** One message of a subscribed room lane, its envelope `src[start..end)`. */
  private acceptOne(lane: RoomLane, seq: number, src: Buffer, start: number, end: number, now: number): void {
    if (seq === lane.next) {
      // The common case: in order. The lane moves on before the message joins a frame, so a
      // frame closed by it ends at this seq.
      lane.next = seq + 1;
      lane.lastArrivalAt = now;
      if (lane.important) this.passImportant(lane, src, start, end);
      else this.passNormal(lane, src, start, end, now);
      if (lane.parked.size > 0) this.drainParked(lane, now);
    } else {
      // A copy: a view would keep the whole PUSH message alive while this one waits.
      this.acceptOutOfOrder(lane, seq, Buffer.from(src.subarray(start, end)), now);
    }
  }

  /**
   * A run that is the lane's next `count` seqs, nothing parked: normal messages pass the cap
   * (the first ones it admits, as one by one), then the lane's frame takes them a chunk at a time,
   * each chunk copied whole, a full frame leaving at the seq that filled it.
   */
  private passRun(
    lane: RoomLane,
    src: Buffer,
    lengthsAt: number,
    bodyAt: number,
    firstSeq: number,
    count: number,
    now: number,
  ): void {
    const room = lane.room;
    let passing = count;
    let frameMax = MAX_MESSAGES_PER_FRAME;
    if (lane.important) {
      if (room.turn !== this.turn) {
        room.turn = this.turn;
        this.turnRooms.push(room);
      }
    } else {
      const limits = this.limits;
      passing = room.cap.admitUpTo(now, limits.capPerSec + limits.capPerSubscriber * room.subscribers, count);
      this.counters.droppedCap += count - passing;
      frameMax = this.maxMessages;
    }
    const batch = lane.batch;
    let i = 0;
    let at = bodyAt;
    while (i < passing) {
      if (!lane.important && batch.count === 0) {
        room.windowGeneration += 1;
        this.windows.push(room, room.windowGeneration, now + this.limits.windowMs);
      }
      const take = Math.min(passing - i, Math.max(1, frameMax - batch.count));
      let end = at - 1;
      for (let k = i; k < i + take; k += 1) end += 1 + envelopeLength(src, lengthsAt, k);
      i += take;
      lane.next = firstSeq + i;
      batch.appendJoined(src, at, end, take);
      at = end + 1;
      if (batch.count >= frameMax) this.emit(lane);
    }
    // Dropped by the cap, the seqs still count as passed: the next frame's range covers them.
    lane.next = firstSeq + count;
  }

  /** Closes every merge window whose time has come and gives up every gap held long enough. */
  expire(now: number): void {
    this.windows.popDue(now, this.closeExpired);
    if (this.holds.hasDue(now)) {
      // Released important messages leave together, as a turn of their own.
      this.turn += 1;
      this.holds.popDue(now, this.releaseExpired);
      this.endTurn();
    }
  }

  /**
   * Releases the rooms `predicate` picks (ownership moved elsewhere, drain, close): what is in
   * order leaves now, what waits for a missing seq leaves too (the hold is best-effort; gaps are
   * counted), and the lanes forget their position, so the room starts a new baseline if it comes
   * back. Returns how many rooms held something.
   */
  flushWhere(predicate: (room: RoomLanes) => boolean, now: number): number {
    let released = 0;
    for (const room of this.rooms.values()) {
      if ((room.important.hasState || room.normal.hasState) && predicate(room)) {
        this.release(room, now);
        released += 1;
      }
    }
    return released;
  }

  flushAll(now: number): number {
    return this.flushWhere(() => true, now);
  }

  /** Subscribed rooms and their summed subscriber counts, for load reports. */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** The batch frame of a well-formed PUBLISH or PUBLISH_RUNS message (its records' layout checked), else undefined. */
  private readBatch(frames: Buffer[]): Buffer | undefined {
    const header = frames[0];
    if (
      frames.length !== 2 ||
      header === undefined ||
      header.length !== 2 ||
      header[0] !== BCAST_VERSION ||
      (header[1] !== PUBLISH && header[1] !== PUBLISH_RUNS)
    ) {
      return undefined;
    }
    const batch = frames[1];
    try {
      checkPairs(batch);
      return batch;
    } catch (error) {
      if (error instanceof FrameError) return undefined;
      throw error;
    }
  }

  /** A message that is not the lane's next seq: a baseline, a message ahead of a gap, or a late one. */
  private acceptOutOfOrder(lane: RoomLane, seq: number, body: Buffer, now: number): void {
    const counters = this.counters;
    const idleSince = lane.lastArrivalAt;
    lane.lastArrivalAt = now;
    if (lane.next !== 0 && lane.parked.size === 0 && now - idleSince >= LANE_IDLE_RESET_MS) {
      if (lane.batch.count > 0) this.emit(lane);
      lane.forget();
    }
    if (lane.next !== 0 && seq < lane.next) {
      if (lane.room.channel) this.passLate(lane, seq, body);
      else counters.late += 1;
      return;
    }
    if (lane.next === 0 && seq === 1) {
      // Seqs start at 1, so nothing lower can be behind it: a new room's stream starts here
      // without the baseline wait (its first gift leaves this turn), and pulls in what waited.
      this.startAt(lane, 1);
      lane.next = 2;
      this.pass(lane, body, now);
      if (lane.parked.size > 0) this.drainParked(lane, now);
      return;
    }
    if (!lane.parked.insert(seq, body, now)) {
      counters.late += 1;
      return;
    }
    // A lane's first messages wait as its baseline (another worker's lower seq may be a moment
    // behind): expected, not out of order.
    if (lane.next !== 0) counters.outOfOrder += 1;
    if (this.holdMs === 0) {
      this.releaseDue(lane, now);
      return;
    }
    if (lane.parked.size === 1) this.holds.push(lane, lane.holdGeneration, now + this.holdMs);
    else if (lane.parked.size > MAX_PARKED_PER_LANE) this.giveUpGap(lane, now);
  }

  /**
   * A user-channel message its lane has moved past: another room-service worker numbered it from the
   * channel's shared counter and published it more than the hold after a later seq, so the gap was
   * given up. A room drops such a seq (subscribers refill it from history), but a channel has no
   * history: its receipts, kicks and notices would be lost. So it leaves at once, out of order, as
   * a frame of its own covering just its seq; subscribers deliver it because that seq lies in a gap
   * they saw (docs/broadcast-protocol.md "User channels: late seqs"). Order within a channel is
   * kept whenever the hold allows; a late one is delivered rather than lost.
   */
  private passLate(lane: RoomLane, seq: number, body: Buffer): void {
    const frame = new LaneBatch(lane.batch.lane);
    frame.firstSeq = seq;
    frame.append(body, 0, body.length);
    this.counters.channelLate += 1;
    this.publishFrame(lane, frame.take(lane.room.topic, seq), 1);
  }

  /** Gives up the lane's gaps while its longest-waiting message has waited the hold; re-arms for the rest. */
  private releaseDue(lane: RoomLane, now: number): void {
    const parked = lane.parked;
    const arrivedBy = now - this.holdMs;
    while (parked.size > 0 && parked.oldestArrival() <= arrivedBy) this.giveUpGap(lane, now);
    if (parked.size > 0) this.holds.push(lane, lane.holdGeneration, parked.oldestArrival() + this.holdMs);
  }

  /**
   * Stops waiting for the lane's missing seqs below its lowest parked one: the frame being built
   * leaves first (its range ends before the gap), then the lane jumps to the parked run and it flows.
   * Without a baseline the jump is the baseline: the lowest seq seen starts the stream.
   */
  private giveUpGap(lane: RoomLane, now: number): void {
    const to = lane.parked.lowestSeq;
    if (lane.batch.count > 0) this.emit(lane);
    if (lane.next !== 0) {
      this.counters.reorderGaps += 1;
      this.counters.reorderSkippedSeqs += to - lane.next;
    }
    this.startAt(lane, to);
    this.drainParked(lane, now);
  }

  /** The lane's seq stream (re)starts at `seq`: its next frame's range begins there. */
  private startAt(lane: RoomLane, seq: number): void {
    lane.next = seq;
    lane.batch.firstSeq = seq;
  }

  /** Passes on the parked messages that have become the lane's next seqs. */
  private drainParked(lane: RoomLane, now: number): void {
    const parked = lane.parked;
    while (parked.size > 0 && parked.lowestSeq === lane.next) {
      lane.next += 1;
      this.pass(lane, parked.takeLowest(), now);
    }
    if (parked.size === 0) lane.holdGeneration += 1;
  }

  /** The next in-order message of a lane (`lane.next` already past it) joins the lane's frame. */
  private pass(lane: RoomLane, body: Buffer, now: number): void {
    if (lane.important) this.passImportant(lane, body, 0, body.length);
    else this.passNormal(lane, body, 0, body.length, now);
  }

  /** In-order important messages (`src[start..end)`) leave at the end of the turn, one frame per room. */
  private passImportant(lane: RoomLane, src: Buffer, start: number, end: number): void {
    const room = lane.room;
    if (room.turn !== this.turn) {
      room.turn = this.turn;
      this.turnRooms.push(room);
    }
    const batch = lane.batch;
    batch.append(src, start, end);
    if (batch.count >= MAX_MESSAGES_PER_FRAME) this.emit(lane);
  }

  /** In-order normal messages (`src[start..end)`) pass the room's cap into its merge window. */
  private passNormal(lane: RoomLane, src: Buffer, start: number, end: number, now: number): void {
    const room = lane.room;
    const limits = this.limits;
    // Dropped here, the seq still counts as passed: the next frame's range covers it, and its
    // count says some of that range was dropped on purpose.
    if (!room.cap.admit(now, limits.capPerSec + limits.capPerSubscriber * room.subscribers)) {
      this.counters.droppedCap += 1;
      return;
    }
    const batch = lane.batch;
    if (batch.count === 0) {
      room.windowGeneration += 1;
      this.windows.push(room, room.windowGeneration, now + limits.windowMs);
    }
    batch.append(src, start, end);
    if (batch.count >= this.maxMessages) this.emit(lane);
  }

  /** Publishes what the room's lanes hold, parked messages included, and forgets their positions. */
  private release(room: RoomLanes, now: number): void {
    this.releaseLane(room.important, now);
    this.releaseLane(room.normal, now);
  }

  private releaseLane(lane: RoomLane, now: number): void {
    if (lane.batch.count > 0) this.emit(lane);
    while (lane.parked.size > 0) this.giveUpGap(lane, now);
    if (lane.batch.count > 0) this.emit(lane);
    lane.forget();
  }

  private endTurn(): void {
    const rooms = this.turnRooms;
    for (let i = 0; i < rooms.length; i += 1) {
      const lane = rooms[i].important;
      if (lane.batch.count > 0) this.emit(lane);
    }
    rooms.length = 0;
  }

  /** Publishes the lane's frame: its range runs up to the seq before the lane's next one. */
  private emit(lane: RoomLane): void {
    const batch = lane.batch;
    const count = batch.count;
    this.publishFrame(lane, batch.take(lane.room.topic, lane.next - 1), count);
  }

  /** Publishes one finished frame of the lane holding `count` messages, and counts it. */
  private publishFrame(lane: RoomLane, frames: Buffer[], count: number): void {
    this.publish(frames);
    const counters = this.counters;
    counters.msgsOut += count;
    counters.batchesOut += 1;
    if (lane.important) {
      counters.importantOut += count;
      counters.importantBatches += 1;
    } else {
      counters.normalOut += count;
      counters.normalBatches += 1;
    }
    this.onBatch?.(lane.batch.lane, count);
  }
}
