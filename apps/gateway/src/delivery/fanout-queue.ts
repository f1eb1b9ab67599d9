import type { OnlineEvent } from '@live-im/contracts';
import type { RoomEntry, SocketSession } from '../socket/socket-session';
import type { SharedWrite } from '../socket/socket-writer';
import type { TextBatch } from '../socket/batch-event';
import { joinBatches } from './batch-envelopes';

/** What waits for a room's next pass: batches per lane (joined where they can be), the latest online figures. */
export interface RoomWrites {
  important: TextBatch[];
  normal: TextBatch[];
  online: OnlineEvent | undefined;
}

/**
 * One pass of a room: everything that was waiting for it when it started, written to each of the
 * room's sockets as one write, a slice of sockets at a time.
 */
export interface RoomPass extends RoomWrites {
  roomId: string;
  /**
   * The sockets the pass is for, fixed when it starts, each with the room entry it had then (a
   * re-join is another entry): two arrays side by side, so a pass allocates no object per socket.
   */
  sessions: SocketSession[];
  entries: RoomEntry[];
  /** Index of the first socket not written yet. */
  written: number;
  /** What a socket gets, built once for the pass: everything, or all but normal (a socket behind). */
  write: SharedWrite | undefined;
  /** An important batch closing the room: why, to act on once every socket was written. */
  closedReason: string | undefined;
}

/** A room with something to write: its pass under way (if any) and what waits for the next one. */
export interface RoomLine {
  readonly roomId: string;
  pending: RoomWrites;
  pass: RoomPass | undefined;
}

/**
 * The gateway's room-wide writes, by room. A room has at most one pass under way; what arrives
 * meanwhile waits for the next pass and is joined there (consecutive batches of a lane become
 * one, body up to `maxJoinedChars`; only the latest online figures are kept), so a busy room costs
 * one write per socket per pass, however many batches, gifts and counts it got. Rooms with an
 * important batch in their pass or waiting are served first (`next`); rooms take turns a slice at
 * a time (`rotate`), so a small room never waits for a whole pass of a big one. Within a lane every
 * socket gets batches in order; an important batch may overtake normal ones, never the reverse
 * inside one pass (important frames lead).
 */
export class FanoutQueue {
  private readonly lines = new Map<string, RoomLine>();
  /** Lines with important work, in turn order. */
  private readonly urgent = new Set<RoomLine>();
  /** The other lines, in turn order. */
  private readonly other = new Set<RoomLine>();
  /**
   * Lines holding only online figures, waiting for a ride: the room's next batch takes them into
   * its pass (one write per socket instead of two), or releaseResting hands them out alone.
   */
  private readonly resting = new Set<RoomLine>();
  private joinedBatches = 0;
  private droppedBatches = 0;

  constructor(
    private readonly maxJoinedChars: number,
    /** Normal batches a room may have waiting that could not be joined; past it the oldest is dropped. */
    private readonly maxWaitingNormal = 64,
  ) {
    if (!Number.isInteger(maxJoinedChars) || maxJoinedChars < 2)
      throw new Error('FanoutQueue: maxJoinedChars must be an integer of at least 2');
    if (!Number.isInteger(maxWaitingNormal) || maxWaitingNormal < 1)
      throw new Error('FanoutQueue: maxWaitingNormal must be a positive integer');
  }

  push(batch: TextBatch): void {
    const line = this.lineOf(batch.roomId);
    const waiting = line.pending[batch.lane];
    const last = waiting[waiting.length - 1];
    const joined =
      last !== undefined && last.body.length + batch.body.length <= this.maxJoinedChars
        ? joinBatches(last, batch)
        : undefined;
    if (joined !== undefined) {
      waiting[waiting.length - 1] = joined;
      this.joinedBatches += 1;
    } else {
      waiting.push(batch);
      // Normal flow control at the gateway: viewers see a gap between batches and may pull it.
      if (batch.lane === 'normal' && waiting.length > this.maxWaitingNormal) {
        waiting.shift();
        this.droppedBatches += 1;
      }
    }
    this.file(line);
  }

  /**
   * The room's online figures for its next pass (newer ones replace older). With `rest`, a room
   * with nothing else to write keeps them until its next batch or releaseResting; true when so.
   */
  pushOnline(info: OnlineEvent, rest = false): boolean {
    const line = this.lineOf(info.roomId);
    line.pending.online = info;
    if (rest && line.pass === undefined && !this.other.has(line) && !this.urgent.has(line)) {
      this.resting.add(line);
      return true;
    }
    this.file(line);
    return false;
  }

  /** The figures that waited for a ride go out alone. */
  releaseResting(): void {
    for (const line of this.resting) this.other.add(line);
    this.resting.clear();
  }

  /** The line to work on: urgent ones first, each in turn. */
  next(): RoomLine | undefined {
    for (const line of this.urgent) return line;
    for (const line of this.other) return line;
    return undefined;
  }

  /** Starts the line's next pass with everything waiting. */
  begin(line: RoomLine): RoomPass {
    const pass: RoomPass = {
      roomId: line.roomId,
      important: line.pending.important,
      normal: line.pending.normal,
      online: line.pending.online,
      sessions: [],
      entries: [],
      written: 0,
      write: undefined,
      closedReason: undefined,
    };
    line.pending = emptyWrites();
    line.pass = pass;
    return pass;
  }

  /** A slice of the line's pass was written: the other lines of its rank go before its next slice. */
  rotate(line: RoomLine): void {
    const set = this.urgent.has(line) ? this.urgent : this.other;
    set.delete(line);
    set.add(line);
  }

  /** The line's pass is done (or given up): the line waits for its next pass, or leaves. */
  finish(line: RoomLine): void {
    line.pass = undefined;
    if (isEmpty(line.pending)) {
      this.urgent.delete(line);
      this.other.delete(line);
      this.resting.delete(line);
      this.lines.delete(line.roomId);
    } else {
      this.file(line);
    }
  }

  /** Rooms with a pass under way or writes waiting. */
  get size(): number {
    return this.lines.size;
  }

  /** Rooms with work to do now: size less the online figures resting (releaseResting). */
  get active(): number {
    return this.urgent.size + this.other.size;
  }

  /** Normal batches dropped because too many waited for one room, since start. */
  get dropped(): number {
    return this.droppedBatches;
  }

  /** Batches joined to a waiting one since start. */
  get joined(): number {
    return this.joinedBatches;
  }

  private lineOf(roomId: string): RoomLine {
    let line = this.lines.get(roomId);
    if (line === undefined) {
      line = { roomId, pending: emptyWrites(), pass: undefined };
      this.lines.set(roomId, line);
    }
    return line;
  }

  /** Files the line by rank: urgent while its pass or its waiting writes hold an important batch. */
  private file(line: RoomLine): void {
    this.resting.delete(line);
    const urgent = line.pending.important.length > 0 || (line.pass?.important.length ?? 0) > 0;
    if (urgent && !this.urgent.has(line)) {
      this.other.delete(line);
      this.urgent.add(line);
    } else if (!urgent && !this.other.has(line)) {
      this.urgent.delete(line);
      this.other.add(line);
    }
  }
}

function emptyWrites(): RoomWrites {
  return { important: [], normal: [], online: undefined };
}

function isEmpty(writes: RoomWrites): boolean {
  return writes.important.length === 0 && writes.normal.length === 0 && writes.online === undefined;
}
