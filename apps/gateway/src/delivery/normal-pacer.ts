import type { TextBatch } from '../socket/batch-event';
import { joinBatches } from './batch-envelopes';

/** How often a room's normal batches may start a fan-out here, by the room's sockets on this gateway. */
export interface PaceSettings {
  /** The pace of a room at or above `fullAtSockets`; 0 turns pacing off. */
  maxMs: number;
  /** Local sockets at which a room gets the whole `maxMs`; fewer get a proportional share. */
  fullAtSockets: number;
}

/** A pace shorter than this is no pace: small rooms get every batch as it comes. */
export const MIN_PACE_MS = 10;
/** Offers between two sweeps of idle rooms. */
const SWEEP_EVERY = 1024;

/** Milliseconds between two normal fan-outs of a room with `sockets` local sockets (0: no pacing). */
export function paceFor(sockets: number, settings: PaceSettings): number {
  if (settings.maxMs <= 0) return 0;
  const pace = Math.min(settings.maxMs, (settings.maxMs * sockets) / settings.fullAtSockets);
  return pace < MIN_PACE_MS ? 0 : pace;
}

interface PacedRoom {
  /** When the room's last normal batch was released. */
  releasedAt: number;
  /** Normal batches waiting for the pace, joined into one. */
  held: TextBatch | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Flow control by room size at the edge: a room's normal batches start a fan-out at most once per
 * pace, and what arrives in between is joined into the next one. The cost of a fan-out is one
 * socket write (a syscall) per local socket, whatever the batch holds, so for a big room fewer,
 * fuller batches cut the gateway's work in proportion; danmaku arrives a little later, in larger
 * groups. Important batches never pass here. Nothing is dropped: a batch that cannot be joined
 * (a seq gap between them, or the joined body would exceed `maxJoinedChars`) releases what waits
 * first, in order, and then waits in its place.
 */
export class NormalPacer {
  private readonly rooms = new Map<string, PacedRoom>();
  private offers = 0;
  /** After flushAll (shutdown): batches pass straight through. */
  private stopped = false;

  constructor(
    private readonly release: (batch: TextBatch) => void,
    private readonly clock: () => number,
    private readonly maxJoinedChars: number,
  ) {}

  /** Batches held now (for stats). */
  get held(): number {
    let held = 0;
    for (const room of this.rooms.values()) if (room.held !== undefined) held += 1;
    return held;
  }

  /** A normal room batch, for a room whose pace is `paceMs` now: released at once or held. */
  offer(batch: TextBatch, paceMs: number): void {
    if (this.stopped) {
      this.release(batch);
      return;
    }
    const now = this.clock();
    if ((this.offers += 1) % SWEEP_EVERY === 0) this.sweep(now);
    let room = this.rooms.get(batch.roomId);
    if (room === undefined) {
      if (paceMs <= 0) {
        this.release(batch);
        return;
      }
      room = { releasedAt: Number.NEGATIVE_INFINITY, held: undefined, timer: undefined };
      this.rooms.set(batch.roomId, room);
    }
    const held = room.held;
    if (held !== undefined) {
      const joined =
        held.body.length + batch.body.length <= this.maxJoinedChars ? joinBatches(held, batch) : undefined;
      if (joined !== undefined) {
        room.held = joined;
        return;
      }
      this.releaseHeld(room, now);
    }
    if (paceMs <= 0 || now - room.releasedAt >= paceMs) {
      room.releasedAt = now;
      this.release(batch);
      return;
    }
    room.held = batch;
    // Held behind a release just made: the timer runs from that release.
    if (room.timer === undefined) {
      const wait = Math.max(1, room.releasedAt + paceMs - now);
      room.timer = setTimeout(() => this.onDue(batch.roomId), wait);
      room.timer.unref();
    }
  }

  /** Releases everything held at once, and paces nothing from then on (shutdown). */
  flushAll(): void {
    this.stopped = true;
    const now = this.clock();
    for (const room of this.rooms.values()) this.releaseHeld(room, now);
    this.rooms.clear();
  }

  /**
   * Takes the room's held batch out of pacing (the room is closing: its last chat must reach the
   * sockets before they are evicted), and forgets the room.
   */
  take(roomId: string): TextBatch | undefined {
    const room = this.rooms.get(roomId);
    if (room === undefined) return undefined;
    this.rooms.delete(roomId);
    clearTimeout(room.timer);
    return room.held;
  }

  /**
   * Releases the room's held batch now, to the caller instead of the release callback, counting
   * as the room's release (its pace runs from now): an important pass takes it along, so that the
   * socket gets both in one write instead of two close together.
   */
  releaseInto(roomId: string): TextBatch | undefined {
    const room = this.rooms.get(roomId);
    if (room?.held === undefined) return undefined;
    const held = room.held;
    clearTimeout(room.timer);
    room.timer = undefined;
    room.held = undefined;
    room.releasedAt = this.clock();
    return held;
  }

  private onDue(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    room.timer = undefined;
    this.releaseHeld(room, this.clock());
  }

  private releaseHeld(room: PacedRoom, now: number): void {
    if (room.timer !== undefined) {
      clearTimeout(room.timer);
      room.timer = undefined;
    }
    const held = room.held;
    if (held === undefined) return;
    room.held = undefined;
    room.releasedAt = now;
    this.release(held);
  }

  /** Forgets rooms with nothing held that have not released for a second: big rooms only, but bounded. */
  private sweep(now: number): void {
    for (const [roomId, room] of this.rooms) {
      if (room.held === undefined && now - room.releasedAt > 1000) this.rooms.delete(roomId);
    }
  }
}
