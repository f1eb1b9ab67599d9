import type { PendingRequest } from './pending-request';
import { RequestList } from './request-list';
import type { WorkerPeer } from './worker-peer';

/** Bytes of request bodies waiting in all queues of the broker, shared by every ServiceQueue. */
export interface QueueBudget {
  bytes: number;
}

/**
 * One service: its workers and its FIFO of requests waiting for credit. Dispatch goes to the
 * non-draining worker with the most free credit (capacity − in flight); ties go to the worker
 * that has waited longest. A service has a handful of workers, so picking scans them.
 */
export class ServiceQueue {
  readonly workers: WorkerPeer[] = [];
  private readonly queue = new RequestList();

  constructor(
    readonly name: string,
    private readonly budget: QueueBudget,
  ) {}

  get queued(): number {
    return this.queue.size;
  }

  pickWorker(): WorkerPeer | null {
    let best: WorkerPeer | null = null;
    let bestFree = 0;
    for (const worker of this.workers) {
      if (worker.draining) continue;
      const free = worker.freeCredit;
      if (free <= 0) continue;
      if (
        best === null ||
        free > bestFree ||
        (free === bestFree && worker.lastDispatchSeq < best.lastDispatchSeq)
      ) {
        best = worker;
        bestFree = free;
      }
    }
    return best;
  }

  /** Whether some worker will take requests at all (credit may still be exhausted). */
  hasReadyWorker(): boolean {
    for (const worker of this.workers) if (!worker.draining) return true;
    return false;
  }

  addWorker(worker: WorkerPeer): void {
    this.workers.push(worker);
  }

  removeWorker(worker: WorkerPeer): void {
    const at = this.workers.indexOf(worker);
    if (at !== -1) this.workers.splice(at, 1);
  }

  enqueue(req: PendingRequest): void {
    this.queue.pushBack(req);
    this.budget.bytes += req.body.length;
  }

  /** Puts a request back ahead of everything waiting (a dead worker's re-dispatch). */
  requeueFirst(req: PendingRequest): void {
    this.queue.pushFront(req);
    this.budget.bytes += req.body.length;
  }

  dequeue(): PendingRequest | null {
    const req = this.queue.shift();
    if (req) this.budget.bytes -= req.body.length;
    return req;
  }

  remove(req: PendingRequest): boolean {
    if (!this.queue.remove(req)) return false;
    this.budget.bytes -= req.body.length;
    return true;
  }

  /** Waiting requests, oldest first; removing the one just yielded is safe. */
  waiting(): IterableIterator<PendingRequest> {
    return this.queue[Symbol.iterator]();
  }
}
