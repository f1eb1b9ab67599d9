import type { PendingRequest } from './pending-request';

/**
 * An intrusive doubly-linked FIFO of requests. A request sits in at most one list at a time (its
 * service's queue or its worker's in-flight list), so push, shift, push-to-front and removal from
 * the middle (a dead client, an expired request) are all O(1) and allocate nothing.
 */
export class RequestList {
  head: PendingRequest | null = null;
  tail: PendingRequest | null = null;
  size = 0;

  pushBack(req: PendingRequest): void {
    req.list = this;
    req.prev = this.tail;
    req.next = null;
    if (this.tail) this.tail.next = req;
    else this.head = req;
    this.tail = req;
    this.size += 1;
  }

  pushFront(req: PendingRequest): void {
    req.list = this;
    req.prev = null;
    req.next = this.head;
    if (this.head) this.head.prev = req;
    else this.tail = req;
    this.head = req;
    this.size += 1;
  }

  shift(): PendingRequest | null {
    const req = this.head;
    if (req) this.remove(req);
    return req;
  }

  /** Unlinks a request of this list; a request of another list (or none) is left alone. */
  remove(req: PendingRequest): boolean {
    if (req.list !== this) return false;
    if (req.prev) req.prev.next = req.next;
    else this.head = req.next;
    if (req.next) req.next.prev = req.prev;
    else this.tail = req.prev;
    req.prev = null;
    req.next = null;
    req.list = null;
    this.size -= 1;
    return true;
  }

  /** Oldest first. Removing the request just yielded is safe: the next one is read before. */
  *[Symbol.iterator](): IterableIterator<PendingRequest> {
    let req = this.head;
    while (req) {
      const next: PendingRequest | null = req.next;
      yield req;
      req = next;
    }
  }
}
