import { RequestList } from './request-list';
import type { WorkerAnnouncement } from './worker-announcement';

/** A worker connected to the backend that announced READY. */
export class WorkerPeer {
  /** Requests dispatched to it and not finally answered, oldest first. */
  readonly inFlight = new RequestList();
  draining = false;
  alive = true;
  /** Requests it answered finally since it announced itself. */
  served = 0;

  constructor(
    readonly routingId: Buffer,
    readonly key: string,
    public announcement: WorkerAnnouncement,
    public lastSeen: number,
    /**
     * Order of its last dispatch (or registration) among all dispatches: the lower, the longer it
     * has waited. Breaks ties between workers with equal free credit.
     */
    public lastDispatchSeq: number,
  ) {}

  get service(): string {
    return this.announcement.service;
  }

  get capacity(): number {
    return this.announcement.capacity;
  }

  /** Negative after a READY that lowered the capacity below what is in flight. */
  get freeCredit(): number {
    return this.announcement.capacity - this.inFlight.size;
  }
}
