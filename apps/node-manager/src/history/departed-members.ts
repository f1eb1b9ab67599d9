import type { MemberKind, NodeState } from '@live-im/contracts';

/** A member the manager no longer lists: silent past DEAD_AFTER_MS (drained ones end that way too). */
export interface DepartedMemberView {
  id: string;
  kind: MemberKind;
  region: string;
  /** The state it was last seen in before it went. */
  lastState: NodeState;
  goneForMs: number;
}

interface Departure {
  kind: MemberKind;
  region: string;
  lastState: NodeState;
  at: number;
}

/**
 * Members seen in one sample and gone in the next. The registry forgets a dead member a sweep
 * after announcing it, far too soon for a person watching a page: this keeps it for `keepMs`, or
 * until it registers again.
 */
export class DepartedMembers {
  private readonly departures = new Map<string, Departure>();

  constructor(
    private readonly keepMs: number,
    private readonly maxKept: number,
  ) {}

  /** Records the departure of `id`; the oldest record goes when more than `maxKept` are held. */
  departed(id: string, kind: MemberKind, region: string, lastState: NodeState, now: number): void {
    this.departures.delete(id);
    this.departures.set(id, { kind, region, lastState, at: now });
    if (this.departures.size > this.maxKept) {
      const oldest = this.departures.keys().next().value;
      if (oldest !== undefined) this.departures.delete(oldest);
    }
  }

  /** The member is back: it is listed again, not departed. */
  returned(id: string): void {
    this.departures.delete(id);
  }

  /** The departures younger than `keepMs`, newest first; older ones are dropped. */
  list(now: number): DepartedMemberView[] {
    const out: DepartedMemberView[] = [];
    for (const [id, d] of this.departures) {
      if (now - d.at > this.keepMs) this.departures.delete(id);
      else
        out.push({
          id,
          kind: d.kind,
          region: d.region,
          lastState: d.lastState,
          goneForMs: Math.round(now - d.at),
        });
    }
    return out.reverse();
  }
}
