import { ClientPeer } from './client-registry';
import { PendingRequest } from './pending-request';
import { ServiceQueue } from './service-queue';
import { WorkerPeer } from './worker-peer';

function worker(key: string, capacity: number, seq: number): WorkerPeer {
  return new WorkerPeer(
    Buffer.from(key),
    key,
    { service: 's', instance: key, version: '1', capacity, pid: 1 },
    0,
    seq,
  );
}

function pending(id: number, bytes = 1): PendingRequest {
  const client = new ClientPeer(Buffer.from('c'), 'c', 0);
  return new PendingRequest(client, id, 's', Buffer.alloc(13), Buffer.alloc(bytes), 0, 0, 1000, 0);
}

describe('ServiceQueue', () => {
  it('picks the most free credit, then the longest wait, skipping draining and full workers', () => {
    const budget = { bytes: 0 };
    const service = new ServiceQueue('s', budget);
    const a = worker('a', 4, 5);
    const b = worker('b', 4, 2);
    const c = worker('c', 9, 1);
    [a, b, c].forEach((w) => service.addWorker(w));
    c.draining = true;
    expect(service.pickWorker()).toBe(b);
    b.inFlight.pushBack(pending(1));
    expect(service.pickWorker()).toBe(a);
    for (let i = 0; i < 4; i += 1) a.inFlight.pushBack(pending(i));
    for (let i = 0; i < 3; i += 1) b.inFlight.pushBack(pending(i));
    expect(service.pickWorker()).toBeNull();
    expect(service.hasReadyWorker()).toBe(true);
  });

  it('keeps FIFO order, lets a request jump the queue, removes from the middle and tracks bytes', () => {
    const budget = { bytes: 0 };
    const service = new ServiceQueue('s', budget);
    const [r1, r2, r3, r0] = [pending(1, 10), pending(2, 20), pending(3, 30), pending(0, 5)];
    service.enqueue(r1);
    service.enqueue(r2);
    service.enqueue(r3);
    service.requeueFirst(r0);
    expect(budget.bytes).toBe(65);
    expect(service.remove(r2)).toBe(true);
    expect(service.remove(r2)).toBe(false);
    expect([...service.waiting()].map((r) => r.clientRequestId)).toEqual([0, 1, 3]);
    expect(service.dequeue()!.clientRequestId).toBe(0);
    expect(service.dequeue()!.clientRequestId).toBe(1);
    expect(service.dequeue()!.clientRequestId).toBe(3);
    expect(service.dequeue()).toBeNull();
    expect(budget.bytes).toBe(0);
  });
});
