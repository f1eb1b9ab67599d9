import type { RoomEntry, SocketSession } from '../socket/socket-session';
import { joinBatches, type TextBatch } from './batch-envelopes';

/** A socket a started room batch is for, with the room entry it had then (a re-join is another entry). */
export interface FanoutTarget {
  session: SocketSession;
  entry: RoomEntry;
}

/** One room batch on its way to the room's sockets, written a chunk of sockets at a time. */
export interface FanoutJob {
  batch: TextBatch;
  /** Set once the first chunk is taken: from then on the batch is fixed and its sockets chosen. */
  targets?: FanoutTarget[];
  /** Index of the first target not written yet. */
  written: number;
  /** An important batch closing the room: why, to act on once every socket was written. */
  closedReason?: string;
}

/**
 * The gateway's room batches waiting for their fan-out, one FIFO per lane: the important lane is
 * always served first (lanes are independent, so an important batch may overtake normal ones;
 * within a lane every socket gets batches in order). A normal batch arriving while the room's
 * previous normal batch still waits, unstarted, is joined to it (consecutive seqs, body up to
 * `maxJoinedChars`): a gateway that is behind writes fewer, larger frames instead of falling
 * further behind, and no message is lost.
 */
export class FanoutQueue {
  private readonly important: FanoutJob[] = [];
  private readonly normal: FanoutJob[] = [];
  /** Per room, its newest normal job not started yet: where a newer batch is joined. */
  private readonly openNormal = new Map<string, FanoutJob>();
  private joinedBatches = 0;
  private droppedBatches = 0;

  constructor(
    private readonly maxJoinedChars: number,
    /** Normal jobs waiting at most; past it the oldest unstarted one is dropped (the gateway is far behind). */
    private readonly maxNormalJobs = 4096,
  ) {
    if (!Number.isInteger(maxJoinedChars) || maxJoinedChars < 2)
      throw new Error('FanoutQueue: maxJoinedChars must be an integer of at least 2');
    if (!Number.isInteger(maxNormalJobs) || maxNormalJobs < 2)
      throw new Error('FanoutQueue: maxNormalJobs must be an integer of at least 2');
  }

  push(batch: TextBatch): void {
    if (batch.lane === 'important') {
      this.important.push({ batch, written: 0 });
      return;
    }
    const open = this.openNormal.get(batch.roomId);
    if (open !== undefined && open.batch.body.length + batch.body.length <= this.maxJoinedChars) {
      const joined = joinBatches(open.batch, batch);
      if (joined !== undefined) {
        open.batch = joined;
        this.joinedBatches += 1;
        return;
      }
    }
    const job: FanoutJob = { batch, written: 0 };
    this.normal.push(job);
    this.openNormal.set(batch.roomId, job);
    if (this.normal.length > this.maxNormalJobs) this.dropOldestUnstarted();
  }

  /** Normal flow control at the gateway: viewers see a gap between batches and may pull it. */
  private dropOldestUnstarted(): void {
    // The head may be in the middle of being written; the one after it has not started.
    const [dropped] = this.normal.splice(1, 1);
    if (dropped === undefined) return;
    if (this.openNormal.get(dropped.batch.roomId) === dropped) this.openNormal.delete(dropped.batch.roomId);
    this.droppedBatches += 1;
  }

  /**
   * The job to work on: the oldest important one, else the oldest normal one. A normal job taken
   * here is closed to joining, since its first chunk may go out before the next batch arrives.
   */
  head(): FanoutJob | undefined {
    const job = this.important[0] ?? this.normal[0];
    if (job !== undefined && job.batch.lane === 'normal' && this.openNormal.get(job.batch.roomId) === job)
      this.openNormal.delete(job.batch.roomId);
    return job;
  }

  /** The job `head` returned is done (or given up). */
  finish(job: FanoutJob): void {
    const lane = job.batch.lane === 'important' ? this.important : this.normal;
    if (lane[0] === job) lane.shift();
    if (this.openNormal.get(job.batch.roomId) === job) this.openNormal.delete(job.batch.roomId);
  }

  /** An important batch waits (or is being written). */
  get importantWaiting(): boolean {
    return this.important.length > 0;
  }

  get size(): number {
    return this.important.length + this.normal.length;
  }

  /** Normal batches dropped because too many waited, since start. */
  get dropped(): number {
    return this.droppedBatches;
  }

  /** Normal batches joined to a waiting one since start. */
  get joined(): number {
    return this.joinedBatches;
  }
}
