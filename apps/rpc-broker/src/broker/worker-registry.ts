import { ServiceQueue, type QueueBudget } from './service-queue';
import type { WorkerAnnouncement } from './worker-announcement';
import { WorkerPeer } from './worker-peer';

/** Workers by routing id, and the services they form. */
export class WorkerRegistry {
  private readonly byKey = new Map<string, WorkerPeer>();
  private readonly serviceByName = new Map<string, ServiceQueue>();

  constructor(private readonly budget: QueueBudget) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): WorkerPeer | undefined {
    return this.byKey.get(key);
  }

  service(name: string): ServiceQueue | undefined {
    return this.serviceByName.get(name);
  }

  obtainService(name: string): ServiceQueue {
    let service = this.serviceByName.get(name);
    if (!service) {
      service = new ServiceQueue(name, this.budget);
      this.serviceByName.set(name, service);
    }
    return service;
  }

  /**
   * Adds a worker, or replaces a known worker's announcement (its in-flight requests stay with it,
   * even when it moves to another service). Returns the worker's service.
   */
  register(
    routingId: Buffer,
    key: string,
    announcement: WorkerAnnouncement,
    now: number,
    seq: number,
  ): { worker: WorkerPeer; service: ServiceQueue; known: boolean } {
    const known = this.byKey.get(key);
    if (known) {
      const moved = known.service !== announcement.service;
      if (moved) this.serviceByName.get(known.service)?.removeWorker(known);
      known.announcement = announcement;
      known.lastSeen = now;
      // A fresh READY is a fresh offer of work, also after a DRAIN the worker changed its mind about.
      known.draining = false;
      const service = this.obtainService(announcement.service);
      if (moved) service.addWorker(known);
      return { worker: known, service, known: true };
    }
    const worker = new WorkerPeer(routingId, key, announcement, now, seq);
    this.byKey.set(key, worker);
    const service = this.obtainService(announcement.service);
    service.addWorker(worker);
    return { worker, service, known: false };
  }

  /** Forgets a worker; false if it was already gone (death is handled once). */
  remove(worker: WorkerPeer): boolean {
    if (this.byKey.get(worker.key) !== worker) return false;
    this.byKey.delete(worker.key);
    worker.alive = false;
    this.serviceByName.get(worker.service)?.removeWorker(worker);
    return true;
  }

  workers(): IterableIterator<WorkerPeer> {
    return this.byKey.values();
  }

  services(): IterableIterator<ServiceQueue> {
    return this.serviceByName.values();
  }

  /** Drops a service with no worker and nothing queued, so unknown names do not pile up. */
  forgetIfIdle(service: ServiceQueue): void {
    if (
      service.workers.length === 0 &&
      service.queued === 0 &&
      this.serviceByName.get(service.name) === service
    ) {
      this.serviceByName.delete(service.name);
    }
  }
}
