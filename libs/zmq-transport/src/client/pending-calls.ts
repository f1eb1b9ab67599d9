import { PendingCall } from './pending-call';

const MAX_ID = 0xffffffff;

/**
 * The client's calls in flight, by u32 request id. Ids come from one counter shared by every
 * broker link, so a call keeps its id when it is re-sent through another broker. Deadlines are
 * checked by the owner's single sweep timer; the earliest deadline lets most sweeps stop at once.
 */
export class PendingCalls {
  private readonly byId = new Map<number, PendingCall>();
  private nextId = 1;
  private earliestDeadline = Number.POSITIVE_INFINITY;

  get size(): number {
    return this.byId.size;
  }

  /** A free id: the counter wraps after 2^32 calls and skips ids still pending. */
  allocateId(): number {
    let id = this.nextId;
    while (this.byId.has(id)) id = id === MAX_ID ? 1 : id + 1;
    this.nextId = id === MAX_ID ? 1 : id + 1;
    return id;
  }

  add(call: PendingCall): void {
    this.byId.set(call.id, call);
    if (call.deadline < this.earliestDeadline) this.earliestDeadline = call.deadline;
  }

  get(id: number): PendingCall | undefined {
    return this.byId.get(id);
  }

  /** True when `call` is still the pending entry of its id (not settled, not replaced). */
  holds(call: PendingCall): boolean {
    return this.byId.get(call.id) === call;
  }

  delete(call: PendingCall): void {
    this.byId.delete(call.id);
  }

  /** Removes and returns the calls whose deadline is at or before `now`. */
  takeExpired(now: number): PendingCall[] {
    if (now < this.earliestDeadline) return [];
    const expired: PendingCall[] = [];
    let earliest = Number.POSITIVE_INFINITY;
    for (const call of this.byId.values()) {
      if (call.deadline <= now) expired.push(call);
      else if (call.deadline < earliest) earliest = call.deadline;
    }
    for (const call of expired) this.byId.delete(call.id);
    this.earliestDeadline = earliest;
    return expired;
  }

  /** The calls one broker link carries (they stay pending: the owner decides their fate). */
  carriedBy(broker: number): PendingCall[] {
    const carried: PendingCall[] = [];
    for (const call of this.byId.values()) if (call.broker === broker) carried.push(call);
    return carried;
  }

  /** Removes and returns everything (the client is closing). */
  takeAll(): PendingCall[] {
    const all = [...this.byId.values()];
    this.byId.clear();
    this.earliestDeadline = Number.POSITIVE_INFINITY;
    return all;
  }
}
