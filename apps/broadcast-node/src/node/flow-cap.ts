const SECOND_MS = 1000;

/**
 * A room's normal-lane budget: at most `cap` messages per one-second window. Fixed windows (not a
 * sliding log) keep it O(1) and allocation-free per message; a burst at a window edge can pass
 * twice the cap over one second, which subscribers absorb.
 */
export class FlowCap {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;

  /** True if one more message fits the budget at `now` (and takes it). */
  admit(now: number, cap: number): boolean {
    if (now - this.windowStart >= SECOND_MS) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= cap) return false;
    this.used += 1;
    return true;
  }

  /** How many of `wanted` messages fit the budget at `now` (taking them): as many admit calls would. */
  admitUpTo(now: number, cap: number, wanted: number): number {
    if (now - this.windowStart >= SECOND_MS) {
      this.windowStart = now;
      this.used = 0;
    }
    const admitted = Math.max(0, Math.min(wanted, Math.ceil(cap - this.used)));
    this.used += admitted;
    return admitted;
  }
}
