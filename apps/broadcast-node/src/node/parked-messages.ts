/**
 * A room lane's messages that arrived ahead of a missing seq, sorted by seq, each with the time it
 * arrived. Out-of-order arrivals are few and mostly ascending among themselves, so insertion scans
 * from the end; taking from the front moves a head index instead of shifting. Arrays are reused.
 */
export class ParkedMessages {
  private readonly seqs: number[] = [];
  private readonly bodies: Array<Buffer | undefined> = [];
  private readonly arrivals: number[] = [];
  private head = 0;

  get size(): number {
    return this.seqs.length - this.head;
  }

  /** The lowest parked seq; only meaningful when size > 0. */
  get lowestSeq(): number {
    return this.seqs[this.head];
  }

  /** Parks a message in seq order; false (and nothing parked) when that seq waits already. */
  insert(seq: number, body: Buffer, arrivedAt: number): boolean {
    const seqs = this.seqs;
    let at = seqs.length;
    while (at > this.head && seqs[at - 1] > seq) at -= 1;
    if (at > this.head && seqs[at - 1] === seq) return false;
    if (at === seqs.length) {
      seqs.push(seq);
      this.bodies.push(body);
      this.arrivals.push(arrivedAt);
    } else {
      seqs.splice(at, 0, seq);
      this.bodies.splice(at, 0, body);
      this.arrivals.splice(at, 0, arrivedAt);
    }
    return true;
  }

  /** Removes the lowest parked message and returns its body; only when size > 0. */
  takeLowest(): Buffer {
    const body = this.bodies[this.head] as Buffer;
    // Release the slice now: the arrays outlive the message.
    this.bodies[this.head] = undefined;
    this.head += 1;
    if (this.head === this.seqs.length) this.clear();
    return body;
  }

  /** When the message that has waited longest arrived; +Infinity when none waits. */
  oldestArrival(): number {
    let oldest = Number.POSITIVE_INFINITY;
    const arrivals = this.arrivals;
    for (let i = this.head; i < arrivals.length; i += 1) {
      const at = arrivals[i];
      if (at < oldest) oldest = at;
    }
    return oldest;
  }

  clear(): void {
    this.seqs.length = 0;
    this.bodies.length = 0;
    this.arrivals.length = 0;
    this.head = 0;
  }
}
