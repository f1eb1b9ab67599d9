import type { RoomMessage } from '@live-im/contracts';
import type { GapRange } from './lane-cursor';

export type FillOutcome = { ok: true; messages: RoomMessage[] } | { ok: false; error: unknown };

/**
 * The history pulls of one room, one at a time, the important lane's first: a lost gift or
 * co-host signal matters more than lost chat, and pulling one range at a time keeps a
 * reconnecting room from flooding the gateway.
 */
export class GapFillQueue {
  private readonly waiting: GapRange[] = [];
  private running: GapRange | undefined;
  private generation = 0;

  constructor(
    private readonly pull: (range: GapRange) => Promise<RoomMessage[]>,
    private readonly done: (range: GapRange, outcome: FillOutcome) => void,
  ) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  get queued(): readonly GapRange[] {
    return this.waiting;
  }

  request(range: GapRange): void {
    this.waiting.push(range);
    this.pump();
  }

  /** Forgets every range; answers of pulls in flight are ignored. */
  clear(): void {
    this.generation += 1;
    this.waiting.length = 0;
    this.running = undefined;
  }

  private pump(): void {
    if (this.running !== undefined || this.waiting.length === 0) return;
    const important = this.waiting.findIndex((range) => range.lane === 'important');
    const [range] = this.waiting.splice(important === -1 ? 0 : important, 1);
    if (range === undefined) return;
    this.running = range;
    const generation = this.generation;
    const finish = (outcome: FillOutcome): void => {
      if (generation !== this.generation) return;
      this.running = undefined;
      this.done(range, outcome);
      this.pump();
    };
    let pulling: Promise<RoomMessage[]>;
    try {
      pulling = this.pull(range);
    } catch (error) {
      pulling = Promise.reject(error);
    }
    pulling.then(
      (messages) => finish({ ok: true, messages }),
      (error: unknown) => finish({ ok: false, error }),
    );
  }
}
