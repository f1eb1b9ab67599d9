import type { BusSecurity } from '@live-im/config';
import { broadcastCurveOptions } from '../membership/bus-keys';
import { BroadcastLogger } from '../socket/broadcast-logger';
import { Push } from 'zeromq';
import { BroadcastCommand, LaneCode } from '../protocol/commands';
import { bcastHeader } from '../protocol/frames';
import { describeError } from '../socket/describe-error';
import { PublishBatch } from './publish-batch';
import { PublishRun } from './publish-run';

/** Emptied runs kept for reuse, at most. */
const MAX_SPARE_RUNS = 1024;

export interface NodePushLinkOptions {
  /** CURVE towards the nodes (the broadcast key from the trust list); plain when absent or off. */
  security?: BusSecurity;
  /** A batch closes at this many bytes (a single larger message still goes alone). */
  maxBatchBytes: number;
  /** Bytes waiting in this link (not yet taken by the socket) beyond which messages are dropped. */
  maxQueuedBytes: number;
  /** How long a send may wait for the node (not connected, high-water mark) before its batch is dropped. */
  sendTimeoutMs: number;
  /** Batches the socket holds for the node before `send` waits. */
  sendHighWaterMark: number;
  logger: BroadcastLogger;
}

/** What a link reports to the publisher's counters. */
export interface NodePushLinkCounters {
  /** Messages whose batch the socket refused or could not send in time. */
  unsent: number;
  /** Messages refused because the link's queue was full. */
  overflow: number;
  /** Room states (ROOM_STATE records) whose push the socket refused or could not send in time. */
  statesUnsent: number;
  /** PUSH messages handed to the socket. */
  batches: number;
}

/**
 * One PUSH socket to one broadcast node's `pull`, and its single writer. Messages appended in one
 * turn coalesce into one PUSH message; while a send waits, later messages coalesce into the next.
 * Within a message, each room lane's consecutive seqs travel as one run (PUBLISH_RUNS): the runs
 * of a turn are gathered per room lane and written, in the order they were started, when the turn's
 * messages leave, so per room lane the node still reads the seqs in the order they were published.
 *
 * Socket choices: `immediate` queues only on a completed connection, so batches never pile up in
 * the pipe of a node that is down (to be lost, or replayed late after its restart); with a finite
 * `sendTimeout`, a batch for a node that stays unreachable is dropped and counted (subscribers see
 * the seq gap) instead of stalling this link until the topology moves its rooms away. The
 * high-water mark counts batches of hundreds of messages, so it is generous in messages while still
 * bounding memory, and a slow node pushes back on this queue rather than on the caller.
 */
export class NodePushLink {
  private readonly socket: Push;
  private readonly ready: Array<{
    frame: Buffer;
    count: number;
    charged: number;
    command: BroadcastCommand;
  }> = [];
  /** Runs being gathered, in the order they were started. */
  private readonly runs: PublishRun[] = [];
  /** The run being gathered per room (its validated id bytes, one object per route) and lane. */
  private readonly openRuns = [new Map<Buffer, PublishRun>(), new Map<Buffer, PublishRun>()];
  private readonly spareRuns: PublishRun[] = [];
  private queuedBytes = 0;
  private lastBatchBytes = 0;
  private scheduled = false;
  private flushing = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly nodeId: string,
    readonly endpoint: string,
    private readonly counters: NodePushLinkCounters,
    private readonly options: NodePushLinkOptions,
  ) {
    this.socket = new Push({
      immediate: true,
      sendTimeout: options.sendTimeoutMs,
      sendHighWaterMark: options.sendHighWaterMark,
      // A node that left the rendezvous set (draining) still takes what was sent to it; bounded.
      linger: options.sendTimeoutMs,
      ...broadcastCurveOptions(options.security),
    });
    this.socket.connect(endpoint);
  }

  /** Messages and bytes waiting in this link. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Appends one message to its room lane's run; false when dropped (closed or queue full). */
  append(lane: LaneCode, seq: number, roomIdBytes: Buffer, body: Buffer, traceId?: string): boolean {
    if (this.closed) return false;
    const charge = PublishBatch.chargeOf(roomIdBytes, body, traceId);
    if (this.queuedBytes + charge > this.options.maxQueuedBytes) {
      this.counters.overflow += 1;
      return false;
    }
    const open = this.openRuns[lane];
    let run = open.get(roomIdBytes);
    if (run === undefined || !run.continuesWith(seq)) {
      // A seq that does not follow (another worker's seqs in between, a new stream) starts a new
      // run; the old one keeps its place ahead of it.
      run = this.spareRuns.pop() ?? new PublishRun();
      run.reset(lane, seq, roomIdBytes);
      this.runs.push(run);
      open.set(roomIdBytes, run);
    }
    run.add(body, traceId, charge);
    this.queuedBytes += charge;
    this.schedule();
    return true;
  }

  /**
   * Queues one ROOM_STATE batch (protocol/room-state.ts) ahead of the runs being gathered: states
   * carry no seq, so their order against messages does not matter. False when dropped.
   */
  appendRoomStates(batch: Buffer, rooms: number): boolean {
    if (this.closed) return false;
    if (this.queuedBytes + batch.length > this.options.maxQueuedBytes) {
      this.counters.overflow += 1;
      return false;
    }
    this.ready.push({
      frame: batch,
      count: rooms,
      charged: batch.length,
      command: BroadcastCommand.ROOM_STATE,
    });
    this.queuedBytes += batch.length;
    this.schedule();
    return true;
  }

  /** Resolves once everything appended so far has been handed to the socket. */
  whenIdle(): Promise<void> {
    if (this.ready.length === 0 && this.runs.length === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Lets queued batches reach the socket for at most flushMs, then closes it (lingering as long). */
  async close(flushMs: number): Promise<void> {
    if (this.closed) return;
    if (flushMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.whenIdle(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, flushMs))),
      ]);
      clearTimeout(timer);
    }
    this.closed = true;
    this.ready.length = 0;
    this.runs.length = 0;
    for (const open of this.openRuns) open.clear();
    this.queuedBytes = 0;
    this.socket.close();
    this.wakeIdle();
  }

  /** Writes the gathered runs into batches of at most maxBatchBytes (a bigger run goes alone). */
  private closeRuns(): void {
    const runs = this.runs;
    let batch: PublishBatch | undefined;
    for (let i = 0; i < runs.length; i += 1) {
      const run = runs[i];
      if (
        batch !== undefined &&
        batch.count > 0 &&
        batch.bytes + run.recordBytes > this.options.maxBatchBytes
      ) {
        this.closeBatch(batch);
        batch = undefined;
      }
      if (batch === undefined) {
        batch = new PublishBatch(
          Math.min(this.options.maxBatchBytes, Math.max(run.recordBytes, this.lastBatchBytes * 1.25)),
        );
      }
      batch.appendRun(run);
      if (this.spareRuns.length < MAX_SPARE_RUNS) this.spareRuns.push(run);
    }
    runs.length = 0;
    for (const open of this.openRuns) open.clear();
    if (batch !== undefined) this.closeBatch(batch);
  }

  private closeBatch(batch: PublishBatch): void {
    this.lastBatchBytes = batch.bytes;
    this.ready.push({
      frame: batch.finish(),
      count: batch.count,
      charged: batch.charged,
      command: BroadcastCommand.PUBLISH_RUNS,
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // After the current burst of publish calls: the burst leaves as one message.
    queueMicrotask(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        if (this.ready.length === 0 && this.runs.length > 0) this.closeRuns();
        const next = this.ready.shift();
        if (next === undefined || this.closed) break;
        try {
          await this.socket.send([bcastHeader(next.command), next.frame]);
          this.counters.batches += 1;
        } catch (error) {
          if (this.closed) break;
          const states = next.command === BroadcastCommand.ROOM_STATE;
          if (states) this.counters.statesUnsent += next.count;
          else this.counters.unsent += next.count;
          this.options.logger.warn(
            `publisher: ${next.count} ${states ? 'room states' : 'messages'} for node ${this.nodeId} not sent: ${describeError(error)}`,
          );
        }
        this.queuedBytes -= next.charged;
      }
    } finally {
      this.flushing = false;
      this.wakeIdle();
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
