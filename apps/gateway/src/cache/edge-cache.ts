import type { BatchInfo, Lane, LaneSeqs, RoomMessage } from '@live-im/contracts';
import { parseBatchBody } from '../delivery/batch-envelopes';

const LANES: readonly Lane[] = ['important', 'normal'];

/** How much the cache keeps: per room lane (the important lane keeps more), and for the whole gateway. */
export interface EdgeCacheLimits {
  messages: Record<Lane, number>;
  /** JSON characters of a lane's messages. */
  bytes: Record<Lane, number>;
  /** JSON characters over every room; past it the least recently used rooms are forgotten. */
  totalBytes: number;
}

/** A batch as the subscriber delivers it (the body's bytes) or as text. */
export interface CacheableBatch extends BatchInfo {
  body: string | Buffer;
}

/** What the cache counts for the gateway's metrics. */
export interface EdgeCacheCounters {
  /** Batches whose whole lane was dropped: they did not continue what the lane held. */
  laneResets: number;
  /** Messages evicted for the count or byte bounds, and rooms evicted for the gateway's bound. */
  evictedMessages: number;
  evictedRooms: number;
  /** Batch bodies that were not a JSON array of messages, found when first read. */
  malformed: number;
}

/** A lane's messages `afterSeq`+1 onwards as the cache holds them. */
export interface CachedRange {
  messages: RoomMessage[];
  /** The lane's latest seq the cache knows. */
  latestSeq: number;
  /** The oldest seq the cache holds for the lane (0 when it holds none). */
  oldestSeq: number;
}

/**
 * A piece of a lane: the seqs `firstSeq..lastSeq` are all accounted for, `count` of them held (a
 * normal batch may have fewer: the node's flow control dropped some on purpose). Batches stay as
 * the text the node sent until a read needs their messages; then they are parsed once.
 */
interface Run {
  firstSeq: number;
  lastSeq: number;
  count: number;
  chars: number;
  body: string | Buffer | undefined;
  messages: RoomMessage[] | undefined;
}

/**
 * One room lane: the runs cover every seq from `from` through `through` without a hole the cache
 * does not know the reason for. Before its first batch or warm-up the lane is unknown (`known`
 * false) and answers nothing.
 */
class LaneLog {
  constructor(readonly lane: Lane) {}

  known = false;
  from = 0;
  through = 0;
  runs: Run[] = [];
  messages = 0;
  chars = 0;

  reset(): void {
    this.known = false;
    this.from = 0;
    this.through = 0;
    this.runs = [];
    this.messages = 0;
    this.chars = 0;
  }
}

class CachedRoom {
  readonly lanes: Record<Lane, LaneLog> = {
    normal: new LaneLog('normal'),
    important: new LaneLog('important'),
  };

  get chars(): number {
    return this.lanes.normal.chars + this.lanes.important.chars;
  }
}

/**
 * The gateway's edge cache: per room with local viewers, the recent messages of both lanes in
 * seq order, from the batches the gateway delivers and from what room-service answered it
 * (docs/architecture.md "Edge cache"). It answers join, resume and history for the ranges it
 * holds; what it lacks is asked of room-service by the caller, and that answer is put in here too.
 * Bounded per lane by messages and characters (whole runs go, oldest first, the newest always
 * stays) and over all rooms by characters (least recently used rooms go first).
 */
export class EdgeCache {
  private readonly rooms = new Map<string, CachedRoom>();
  private totalChars = 0;
  readonly counters: EdgeCacheCounters = { laneResets: 0, evictedMessages: 0, evictedRooms: 0, malformed: 0 };

  constructor(private readonly limits: EdgeCacheLimits) {}

  /** Rooms held. */
  get size(): number {
    return this.rooms.size;
  }

  /** JSON characters held over all rooms. */
  get bytes(): number {
    return this.totalChars;
  }

  /** Messages held, per lane, over all rooms. */
  heldMessages(): Record<Lane, number> {
    const held: Record<Lane, number> = { normal: 0, important: 0 };
    for (const room of this.rooms.values()) {
      for (const lane of LANES) held[lane] += room.lanes[lane].messages;
    }
    return held;
  }

  /** A delivered batch of a room lane, in the order the gateway delivers them (its body as the node sent it). */
  append(batch: CacheableBatch): void {
    const room = this.touch(batch.roomId);
    const lane = room.lanes[batch.lane];
    if (lane.known && batch.lastSeq <= lane.through) return;
    const run: Run = {
      firstSeq: batch.firstSeq,
      lastSeq: batch.lastSeq,
      count: batch.count,
      chars: batch.body.length,
      body: batch.body,
      messages: undefined,
    };
    if (!lane.known || batch.firstSeq > lane.through + 1) {
      if (lane.known) this.counters.laneResets += 1;
      this.clearLane(lane);
      lane.known = true;
      lane.from = batch.firstSeq;
    }
    this.push(lane, run);
    lane.through = batch.lastSeq;
    this.trim(lane);
    this.bound(batch.roomId);
  }

  /**
   * Messages room-service gave for a lane: they hold every logged seq in `afterSeq`+1..`throughSeq`.
   * Put in front of what the lane holds, or after it, when they touch it; a lane that knew nothing
   * starts with them. Anything that would leave a hole is not kept.
   */
  fill(
    roomId: string,
    lane: Lane,
    afterSeq: number,
    messages: readonly RoomMessage[],
    throughSeq: number,
  ): void {
    if (throughSeq <= afterSeq) return;
    const room = this.touch(roomId);
    const log = room.lanes[lane];
    const inRange = messages.filter((message) => message.seq > afterSeq && message.seq <= throughSeq);
    if (!log.known || afterSeq > log.through) {
      if (log.known && afterSeq > log.through) this.counters.laneResets += 1;
      this.clearLane(log);
      log.known = true;
      log.from = afterSeq + 1;
      log.through = throughSeq;
      this.push(log, runOf(afterSeq + 1, throughSeq, inRange));
    } else {
      if (afterSeq + 1 < log.from && throughSeq >= log.from - 1) {
        const older = inRange.filter((message) => message.seq < log.from);
        const run = runOf(afterSeq + 1, log.from - 1, older);
        log.runs.unshift(run);
        log.messages += run.count;
        log.chars += run.chars;
        this.totalChars += run.chars;
        log.from = afterSeq + 1;
      }
      if (throughSeq > log.through) {
        const newer = inRange.filter((message) => message.seq > log.through);
        this.push(log, runOf(log.through + 1, throughSeq, newer));
        log.through = throughSeq;
      }
    }
    this.trim(log);
    this.bound(roomId);
  }

  /**
   * A room.join answer: each lane is known through its seq, with the recent messages before it.
   * `recentAsked` is how many room-service returns at most: fewer means its log holds no older ones.
   */
  warm(
    roomId: string,
    seqs: LaneSeqs,
    recent: Record<Lane, readonly RoomMessage[]>,
    recentAsked: Record<Lane, number>,
  ): void {
    for (const lane of LANES) {
      const messages = recent[lane];
      const through = seqs[lane];
      let after = through;
      // The contiguous tail of the answer: that part vouches for every seq it spans.
      for (let i = messages.length - 1; i >= 0 && messages[i].seq === after; i -= 1) after -= 1;
      if (messages.length < recentAsked[lane] && after === through - messages.length) after = 0;
      this.fill(roomId, lane, after, messages, through);
      const log = this.touch(roomId).lanes[lane];
      // An empty answer still tells where the lane stands.
      if (!log.known) {
        log.known = true;
        log.from = through + 1;
        log.through = through;
      }
    }
  }

  /** Both lanes' latest seqs, when the cache knows the room. */
  latest(roomId: string): LaneSeqs | undefined {
    const room = this.rooms.get(roomId);
    if (room === undefined || !room.lanes.normal.known || !room.lanes.important.known) return undefined;
    return { normal: room.lanes.normal.through, important: room.lanes.important.through };
  }

  /** The first seq of the lane the cache accounts for (undefined when it knows nothing of the lane). */
  heldFrom(roomId: string, lane: Lane): number | undefined {
    const log = this.rooms.get(roomId)?.lanes[lane];
    return log?.known === true ? log.from : undefined;
  }

  /** The latest seq of the lane the cache knows (undefined when it knows nothing of the lane). */
  throughOf(roomId: string, lane: Lane): number | undefined {
    const log = this.rooms.get(roomId)?.lanes[lane];
    return log?.known === true ? log.through : undefined;
  }

  /** The last `n` messages of the lane, when the cache holds the lane that far back. */
  recent(roomId: string, lane: Lane, n: number): RoomMessage[] | undefined {
    const log = this.rooms.get(roomId)?.lanes[lane];
    if (log === undefined || !log.known) return undefined;
    const after = Math.max(0, log.through - n);
    if (after + 1 < log.from) return undefined;
    const messages = this.messagesAfter(log, after, Number.POSITIVE_INFINITY);
    return messages.length > n ? messages.slice(messages.length - n) : messages;
  }

  /**
   * Up to `limit` messages of the lane after `afterSeq`, when the cache holds the lane from
   * `afterSeq`+1 on; undefined when it lacks any of it.
   */
  read(roomId: string, lane: Lane, afterSeq: number, limit: number): CachedRange | undefined {
    const room = this.rooms.get(roomId);
    const log = room?.lanes[lane];
    if (room === undefined || log === undefined || !log.known || afterSeq + 1 < log.from) return undefined;
    this.rooms.delete(roomId);
    this.rooms.set(roomId, room);
    const messages = this.messagesAfter(log, afterSeq, limit);
    return { messages, latestSeq: log.through, oldestSeq: this.oldestHeld(log) };
  }

  /** The room has no local viewers any more (its subscription ends): what it held goes. */
  forget(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    this.totalChars -= room.chars;
    this.rooms.delete(roomId);
  }

  private touch(roomId: string): CachedRoom {
    let room = this.rooms.get(roomId);
    if (room === undefined) room = new CachedRoom();
    else this.rooms.delete(roomId);
    // Re-inserted: the map's order is the order of last use.
    this.rooms.set(roomId, room);
    return room;
  }

  private push(log: LaneLog, run: Run): void {
    log.runs.push(run);
    log.messages += run.count;
    log.chars += run.chars;
    this.totalChars += run.chars;
  }

  private clearLane(log: LaneLog): void {
    this.totalChars -= log.chars;
    log.reset();
  }

  /** Oldest runs go while the lane is over its bounds; the newest run always stays. */
  private trim(log: LaneLog): void {
    const maxMessages = this.limits.messages[log.lane];
    const maxChars = this.limits.bytes[log.lane];
    while (log.runs.length > 1 && (log.messages > maxMessages || log.chars > maxChars)) {
      const run = log.runs.shift() as Run;
      log.messages -= run.count;
      log.chars -= run.chars;
      this.totalChars -= run.chars;
      this.counters.evictedMessages += run.count;
      log.from = run.lastSeq + 1;
    }
  }

  /** Past the gateway's bound, the least recently used rooms other than `keep` are forgotten. */
  private bound(keep: string): void {
    for (const [roomId, room] of this.rooms) {
      if (this.totalChars <= this.limits.totalBytes) return;
      if (roomId === keep) continue;
      this.counters.evictedRooms += 1;
      this.counters.evictedMessages += room.lanes.normal.messages + room.lanes.important.messages;
      this.forget(roomId);
    }
  }

  private messagesAfter(log: LaneLog, afterSeq: number, limit: number): RoomMessage[] {
    const out: RoomMessage[] = [];
    let last = afterSeq;
    for (const run of log.runs) {
      if (run.lastSeq <= afterSeq) continue;
      for (const message of this.messagesOf(run)) {
        // A batch overlapping the one before may repeat a message: each seq once, in order.
        if (message.seq <= last) continue;
        out.push(message);
        last = message.seq;
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  private messagesOf(run: Run): RoomMessage[] {
    if (run.messages !== undefined) return run.messages;
    const body = run.body ?? '[]';
    const values = parseBatchBody(typeof body === 'string' ? body : body.toString('utf8'));
    if (values === undefined) {
      this.counters.malformed += 1;
      run.messages = [];
    } else {
      run.messages = values.filter(isSequenced) as RoomMessage[];
    }
    run.body = undefined;
    return run.messages;
  }

  private oldestHeld(log: LaneLog): number {
    for (const run of log.runs) {
      const messages = this.messagesOf(run);
      if (messages.length > 0) return messages[0].seq;
    }
    return 0;
  }
}

function runOf(firstSeq: number, lastSeq: number, messages: RoomMessage[]): Run {
  return {
    firstSeq,
    lastSeq,
    count: messages.length,
    chars: messages.length === 0 ? 0 : JSON.stringify(messages).length,
    body: undefined,
    messages,
  };
}

/** The log and the nodes only carry room-service's envelopes; a seq is all the cache relies on. */
function isSequenced(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const seq = (value as { seq?: unknown }).seq;
  return typeof seq === 'number';
}
