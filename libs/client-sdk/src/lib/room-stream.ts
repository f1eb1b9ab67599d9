import type { BatchInfo, JoinResult, Lane, LaneSeqs, ResumePoint, RoomMessage } from '@live-im/contracts';
import { decodeBatchBody } from './batch-body';
import { type FillOutcome, GapFillQueue } from './gap-fill-queue';
import { type HistoryPage, pullRange } from './history-pull';
import { type GapEvent, type GapRange, type LaneSegment, LaneCursor } from './lane-cursor';
import { LiveError } from './live-error';

export interface RoomStreamSink {
  /** A new message of the room, each lane in seq order, each seq once. */
  deliver(message: RoomMessage): void;
  /** A message that came again (a re-delivery, an overlap): not for the app, maybe for an ack. */
  repeated(message: RoomMessage): void;
  gap(event: GapEvent): void;
  error(error: LiveError): void;
}

/** Arrivals kept while a join is answered; past it the oldest go, and the gap they leave is pulled. */
const MAX_EARLY_SEGMENTS = 1024;

/**
 * How long a seq the beacon names may take to arrive on its own before it is pulled: the beacon is
 * read once the message is logged and may overtake it on the way (node merge window, reorder waits).
 */
export const BEACON_GRACE_MS = 300;

/** A lane the beacon found behind: the seq it named and the lane's arrivals then. */
interface BeaconCheck {
  seq: number;
  arrivals: number;
}

/** Important before normal, wherever both lanes are handled in turn. */
const LANES: readonly Lane[] = ['important', 'normal'];

/**
 * Everything that arrives for one room, turned into one ordered stream per lane: batches, room
 * messages re-delivered one by one, join and resume answers, and the history pulls that fill gaps
 * (important first). Until a join answer is applied (first join, or the rejoin after a reconnect)
 * arrivals wait: the gateway sends the batches it held for a joining socket right after the join's
 * answer, often in the same read, so they reach the socket before the answer's promise continues
 * (and a re-join's live batches may come at any time). It knows no socket: history comes through
 * `page`, output goes to the sink.
 */
export class RoomStream {
  private readonly lanes: Record<Lane, LaneCursor>;
  private readonly fills: GapFillQueue;
  /** Arrivals waiting for a join answer; undefined while joined. */
  private early: Array<{ lane: Lane; segment: LaneSegment }> | undefined = [];
  /** When the room's current opening was created: a reopened room starts its seqs afresh. */
  private openedAt: number | undefined;
  /** Segments received per lane: a lane with arrivals during a beacon's grace is not idle. */
  private readonly arrivals: Record<Lane, number> = { important: 0, normal: 0 };
  private beaconChecks: Partial<Record<Lane, BeaconCheck>> = {};
  private beaconTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly roomId: string,
    page: HistoryPage,
    private readonly sink: RoomStreamSink,
  ) {
    const laneSink = {
      deliver: (message: RoomMessage) => sink.deliver(message),
      repeated: (message: RoomMessage) => sink.repeated(message),
      needFill: (range: GapRange) => this.fills.request(range),
      gap: (event: GapEvent) => sink.gap(event),
    };
    this.lanes = {
      important: new LaneCursor('important', laneSink),
      normal: new LaneCursor('normal', laneSink),
    };
    this.fills = new GapFillQueue(
      (range) => pullRange(page, range),
      (range, outcome) => this.filled(range, outcome),
    );
  }

  get joined(): boolean {
    return this.early === undefined;
  }

  /** Whether a join answer was ever applied (then a rejoin resumes). */
  get everJoined(): boolean {
    return this.openedAt !== undefined;
  }

  /** The seq each lane is settled to: delivered, or deliberately dropped by flow control. */
  get seqs(): LaneSeqs {
    return { normal: this.lanes.normal.through, important: this.lanes.important.through };
  }

  /** Where a rejoin resumes from; undefined before the first join answer. */
  resumePoint(): ResumePoint | undefined {
    if (!this.everJoined) return undefined;
    return { normalSeq: this.lanes.normal.through, importantSeq: this.lanes.important.through };
  }

  /**
   * The seq beacon: the latest seq of each lane, once a second. A lane behind it that receives
   * nothing during BEACON_GRACE_MS lost its last messages (nothing after them will reveal the gap):
   * they are pulled from history like any gap. A lane with arrivals finds its gaps by them.
   */
  beacon(seqs: LaneSeqs): void {
    if (!this.joined || this.beaconTimer !== undefined) return;
    for (const lane of LANES) {
      if (seqs[lane] > this.lanes[lane].through)
        this.beaconChecks[lane] = { seq: seqs[lane], arrivals: this.arrivals[lane] };
    }
    if (this.beaconChecks.important === undefined && this.beaconChecks.normal === undefined) return;
    this.beaconTimer = setTimeout(() => this.checkBeacon(), BEACON_GRACE_MS);
  }

  private checkBeacon(): void {
    this.beaconTimer = undefined;
    const checks = this.beaconChecks;
    this.beaconChecks = {};
    if (!this.joined) return;
    for (const lane of LANES) {
      const check = checks[lane];
      const cursor = this.lanes[lane];
      if (check === undefined || check.arrivals !== this.arrivals[lane]) continue;
      if (cursor.waitingFor === undefined && cursor.through < check.seq) cursor.reach(check.seq);
    }
  }

  /** The connection is gone (or a join begins): arrivals wait again; pulls in flight are forgotten. */
  suspend(): void {
    clearTimeout(this.beaconTimer);
    this.beaconTimer = undefined;
    this.beaconChecks = {};
    this.early = [];
    this.fills.clear();
    for (const lane of LANES) this.lanes[lane].reset(this.lanes[lane].through);
  }

  /**
   * A join answer. A first join starts each lane at the answer's seqs; a resume delivers `missed`
   * (important first) and pulls whatever the answer left out up to its seqs. Then what arrived
   * while joining follows.
   */
  applyJoin(result: JoinResult, resumed: boolean): void {
    this.fills.clear();
    const reopened = this.openedAt !== undefined && this.openedAt !== result.room.createdAt;
    const fresh = !resumed || !this.everJoined || reopened;
    this.openedAt = result.room.createdAt;
    for (const lane of LANES) {
      const cursor = this.lanes[lane];
      const latest = result.seqs[lane];
      // A lane behind what we saw can only be a fresh start of the room's log: follow it.
      if (fresh || latest < cursor.through) {
        cursor.reset(latest);
        continue;
      }
      cursor.reset(cursor.through);
      for (const message of result.missed?.[lane] ?? []) {
        if (message.roomId !== this.roomId || message.lane !== lane) continue;
        cursor.receive({ firstSeq: message.seq, lastSeq: message.seq, messages: [message] });
      }
      cursor.reach(latest);
    }
    const early = this.early ?? [];
    this.early = undefined;
    // Lanes are independent, so the important lane's arrivals go first (and so do its gaps).
    for (const lane of LANES) {
      for (const arrival of early) if (arrival.lane === lane) this.lanes[lane].receive(arrival.segment);
    }
  }

  /** A `batch` event of this room (its info already validated). */
  batch(info: BatchInfo, body: unknown): void {
    let messages: RoomMessage[];
    try {
      messages = decodeBatchBody(info, body);
    } catch (error) {
      this.sink.error(LiveError.from(error));
      // Its seqs exist but cannot be read here: ask history for them like any loss.
      this.push(info.lane, { firstSeq: info.lastSeq + 1, lastSeq: info.lastSeq, messages: [] });
      return;
    }
    this.push(info.lane, { firstSeq: info.firstSeq, lastSeq: info.lastSeq, messages });
  }

  /** One room-lane message outside a batch (a requireAck re-delivery through `direct`). */
  roomMessage(message: RoomMessage): void {
    if (message.roomId !== this.roomId) return;
    this.push(message.lane, { firstSeq: message.seq, lastSeq: message.seq, messages: [message] });
  }

  private push(lane: Lane, segment: LaneSegment): void {
    this.arrivals[lane] += 1;
    if (this.early === undefined) {
      this.lanes[lane].receive(segment);
      return;
    }
    if (this.early.length >= MAX_EARLY_SEGMENTS) this.early.shift();
    this.early.push({ lane, segment });
  }

  private filled(range: GapRange, outcome: FillOutcome): void {
    const cursor = this.lanes[range.lane];
    if (outcome.ok) {
      const own = outcome.messages.filter((m) => m.roomId === this.roomId && m.lane === range.lane);
      cursor.fillDone(range, own);
      return;
    }
    const error = LiveError.from(outcome.error);
    // A dropped connection is not a failed fill: the rejoin's resume covers the range.
    if (error.connectionLost || error.clientClosed) return;
    this.sink.error(
      new LiveError(
        error.code,
        `pulling ${range.lane} ${range.fromSeq}..${range.toSeq} of ${this.roomId} failed: ${error.message}`,
        {
          ...error.details,
          roomId: this.roomId,
          lane: range.lane,
        },
      ),
    );
    cursor.fillFailed(range);
  }
}
