import { ErrorCode } from '@live-im/contracts';
import { RequestFlag, ReplyStatus } from '@live-im/zmq-transport';
import { addClient, addWorker, answered, dispatched, harness, reply, request } from './__tests__/helpers';

const { IDEMPOTENT, EVENT } = RequestFlag;

describe('Dispatcher', () => {
  describe('credit dispatch', () => {
    it('sends each request to the worker with the most free credit, ties to the one waiting longest', () => {
      const h = harness();
      addWorker(h, 'a', 2);
      addWorker(h, 'b', 3);
      const client = addClient(h, 'c');
      for (let id = 1; id <= 5; id += 1) request(h, client, { id });

      // b (3 free) > a (2); then 2/2 tie → a (waited longer); a 1 / b 2 → b; 1/1 tie → a; 0/1 → b.
      expect(dispatched(h.backend.take()).map((d) => d.worker)).toEqual(['b', 'a', 'b', 'a', 'b']);
      expect(h.dispatcher.workers.get('a')!.inFlight.size).toBe(2);
      expect(h.dispatcher.workers.get('b')!.inFlight.size).toBe(3);
    });

    it('never exceeds capacity: the rest waits in FIFO order until a final reply frees credit', () => {
      const h = harness();
      addWorker(h, 'a', 1);
      const client = addClient(h, 'c');
      request(h, client, { id: 10 });
      request(h, client, { id: 11 });
      request(h, client, { id: 12 });
      const [first] = dispatched(h.backend.take());
      expect(h.dispatcher.workers.service('user')!.queued).toBe(2);

      reply(h, 'a', first.id, 0, ReplyStatus.NEXT); // a stream value frees nothing
      expect(h.backend.take()).toHaveLength(0);

      reply(h, 'a', first.id);
      const [second] = dispatched(h.backend.take());
      expect(h.dispatcher.workers.get('a')!.inFlight.size).toBe(1);
      // The client sees its own id on both replies; the worker saw the broker's.
      expect(answered(h.frontend.take()).map((r) => [r.id, r.status])).toEqual([
        [10, ReplyStatus.NEXT],
        [10, ReplyStatus.OK],
      ]);
      reply(h, 'a', second.id);
      expect(answered(h.frontend.take()).map((r) => r.id)).toEqual([11]);
    });

    it('assigns broker-wide ids, so two clients with the same id do not collide', () => {
      const h = harness();
      addWorker(h, 'a', 10);
      request(h, addClient(h, 'c1'), { id: 1 });
      request(h, addClient(h, 'c2'), { id: 1 });
      const [one, two] = dispatched(h.backend.take());
      expect(one.id).not.toBe(two.id);
      reply(h, 'a', two.id);
      reply(h, 'a', one.id);
      expect(answered(h.frontend.take()).map((r) => [r.client, r.id])).toEqual([
        ['c2', 1],
        ['c1', 1],
      ]);
    });

    it('forwards the time left as timeoutMs', () => {
      const h = harness();
      const client = addClient(h, 'c');
      request(h, client, { id: 1, timeoutMs: 500 }, 100);
      addWorker(h, 'a', 1, 340);
      expect(dispatched(h.backend.take())[0].timeoutMs).toBe(260);
    });

    it('sends nothing more to a draining worker', () => {
      const h = harness();
      const a = addWorker(h, 'a', 10);
      addWorker(h, 'b', 1);
      h.dispatcher.drainWorker(a);
      const client = addClient(h, 'c');
      request(h, client, { id: 1 });
      request(h, client, { id: 2 });
      expect(dispatched(h.backend.take()).map((d) => d.worker)).toEqual(['b']);
      expect(h.dispatcher.workers.service('user')!.queued).toBe(1);
    });
  });

  describe('liveness', () => {
    it('expires a silent worker that is not first in the list, and only that one', () => {
      const h = harness({ heartbeatMs: 1000 });
      addWorker(h, 'first', 1, 0);
      addWorker(h, 'middle', 1, 0);
      addWorker(h, 'last', 1, 0);
      h.dispatcher.workers.get('first')!.lastSeen = 2500;
      h.dispatcher.workers.get('last')!.lastSeen = 2500;

      h.dispatcher.sweepPeers(3001);

      expect([...h.dispatcher.workers.workers()].map((w) => w.key)).toEqual(['first', 'last']);
      expect(h.dispatcher.workers.service('user')!.workers.map((w) => w.key)).toEqual(['first', 'last']);
    });

    it('forgets a silent client in the middle that is owed nothing, and only that one', () => {
      const h = harness({ heartbeatMs: 1000 });
      const c1 = addClient(h, 'c1', 0);
      addClient(h, 'c2', 0);
      const c3 = addClient(h, 'c3', 0);
      c1.lastSeen = 2500;
      c3.lastSeen = 2500;

      h.dispatcher.sweepPeers(3001);

      expect([...h.dispatcher.clients.all()].map((c) => c.key)).toEqual(['c1', 'c3']);
    });

    it('keeps a silent client while its calls wait or run, and forgets it once they are answered', () => {
      const h = harness({ heartbeatMs: 1000 });
      addWorker(h, 'a', 1, 0);
      const client = addClient(h, 'c', 0);
      for (let id = 1; id <= 3; id += 1) request(h, client, { id, timeoutMs: 60_000 });

      for (let at = 1; at <= 3; at += 1) {
        h.dispatcher.workers.get('a')!.lastSeen = at * 3000;
        h.dispatcher.sweepPeers(at * 3000 + 1);
        expect(h.dispatcher.clients.size).toBe(1);
        const [running] = dispatched(h.backend.take());
        reply(h, 'a', running.id, at * 3000 + 1);
      }

      // Every call answered, none dropped: the silent caller is forgotten at the next sweep.
      expect(answered(h.frontend.take()).map((r) => [r.id, r.status])).toEqual([
        [1, ReplyStatus.OK],
        [2, ReplyStatus.OK],
        [3, ReplyStatus.OK],
      ]);
      expect(client.held).toBe(0);
      h.dispatcher.sweepPeers(9002);
      expect(h.dispatcher.clients.size).toBe(0);
      expect(h.dispatcher.counters.droppedForDeadClient).toBe(0);
    });

    it('forgets a silent client once the deadlines of the calls it is owed have passed', () => {
      const h = harness({ heartbeatMs: 1000 });
      addWorker(h, 'a', 1, 0);
      const client = addClient(h, 'c', 0);
      request(h, client, { id: 1, timeoutMs: 5000 });
      h.dispatcher.workers.get('a')!.lastSeen = 5000;

      h.dispatcher.sweepPeers(4000);
      expect(h.dispatcher.clients.size).toBe(1);
      h.dispatcher.sweepPeers(5001);
      expect(h.dispatcher.clients.size).toBe(0);

      // The caller gave up at its deadline; a reply that comes later has no one to go to.
      const [running] = dispatched(h.backend.take());
      reply(h, 'a', running.id, 5002);
      expect(h.frontend.take()).toHaveLength(0);
      expect(h.dispatcher.counters.undeliverable).toBe(1);
    });

    it('drops the queued requests of a client that became unreachable, counting them', () => {
      const h = harness({ heartbeatMs: 1000 });
      const client = addClient(h, 'c', 0);
      request(h, client, { id: 1, timeoutMs: 60_000 });
      request(h, client, { id: 2, timeoutMs: 60_000 });

      h.dispatcher.removeClient(client, 'unreachable');

      expect(h.dispatcher.workers.service('user')!.queued).toBe(0);
      expect(h.dispatcher.counters.droppedForDeadClient).toBe(2);
      expect(client.held).toBe(0);
    });
  });

  describe('worker death', () => {
    it('re-dispatches idempotent requests first with their original deadline; others get WORKER_LOST', () => {
      const h = harness({ heartbeatMs: 1000 });
      addWorker(h, 'a', 3, 0);
      const client = addClient(h, 'c', 0);
      request(h, client, { id: 1, flags: IDEMPOTENT, timeoutMs: 10_000 }, 0);
      request(h, client, { id: 2, timeoutMs: 10_000 }, 0);
      request(h, client, { id: 3, flags: IDEMPOTENT, timeoutMs: 10_000 }, 0);
      request(h, client, { id: 4, flags: IDEMPOTENT, timeoutMs: 10_000 }, 0); // queued: a is full
      h.backend.take();

      client.lastSeen = 3000;
      h.dispatcher.sweepPeers(3001);
      expect(answered(h.frontend.take())).toEqual([
        expect.objectContaining({ id: 2, error: ErrorCode.WORKER_LOST }),
      ]);
      expect(h.dispatcher.workers.service('user')!.queued).toBe(3);

      addWorker(h, 'b', 10, 4000);
      const again = dispatched(h.backend.take());
      // Original deadline (10 s from t=0) and original order: 1 and 3 back in front of 4.
      expect(again.map((d) => d.worker)).toEqual(['b', 'b', 'b']);
      expect(again.map((d) => d.timeoutMs)).toEqual([6000, 6000, 6000]);
      reply(h, 'b', again[0].id, 4000);
      reply(h, 'b', again[1].id, 4000);
      reply(h, 'b', again[2].id, 4000);
      expect(answered(h.frontend.take()).map((r) => r.id)).toEqual([1, 3, 4]);
      expect(h.dispatcher.counters.redispatched).toBe(2);
      expect(h.dispatcher.counters.workerLost).toBe(1);
    });

    it("handles DISCONNECT as a death, and ignores the dead worker's late replies", () => {
      const h = harness();
      const a = addWorker(h, 'a', 1);
      const client = addClient(h, 'c');
      request(h, client, { id: 7 });
      const [sent] = dispatched(h.backend.take());
      h.dispatcher.removeWorker(a, 'disconnect', 0);
      h.dispatcher.removeWorker(a, 'disconnect', 0); // idempotent
      expect(answered(h.frontend.take())).toEqual([
        expect.objectContaining({ id: 7, error: ErrorCode.WORKER_LOST }),
      ]);
      h.dispatcher.acceptReply(
        a,
        { id: sent.id, status: ReplyStatus.OK, codec: 0 },
        Buffer.alloc(6),
        Buffer.alloc(0),
      );
      expect(h.frontend.take()).toHaveLength(0);
      expect(h.dispatcher.counters.staleReplies).toBe(1);
    });

    it('re-dispatches a request that never reached the worker even if it is not idempotent', () => {
      const h = harness();
      const a = addWorker(h, 'a', 1);
      const client = addClient(h, 'c');
      request(h, client, { id: 5 });
      const meta = a.inFlight.head!.meta;
      h.dispatcher.markUndelivered(a, [meta, Buffer.alloc(0)]);
      h.dispatcher.removeWorker(a, 'send failed: EHOSTUNREACH', 0);
      expect(h.frontend.take()).toHaveLength(0);
      expect(h.dispatcher.workers.service('user')!.queued).toBe(1);
    });

    it('drops a non-idempotent EVENT held by a dead worker, counting it', () => {
      const h = harness();
      const a = addWorker(h, 'a', 1);
      request(h, addClient(h, 'c'), { id: 5, flags: EVENT });
      h.dispatcher.removeWorker(a, 'silent', 0);
      expect(h.frontend.take()).toHaveLength(0);
      expect(h.dispatcher.counters.eventsLost).toBe(1);
    });
  });

  describe('bounds', () => {
    it('answers OVERLOADED at once past maxQueue', () => {
      const h = harness({ maxQueue: 2 });
      const client = addClient(h, 'c');
      for (let id = 1; id <= 3; id += 1) request(h, client, { id });
      expect(answered(h.frontend.take())).toEqual([
        expect.objectContaining({ id: 3, error: ErrorCode.OVERLOADED }),
      ]);
      expect(h.dispatcher.counters.overloaded).toBe(1);
    });

    it('answers OVERLOADED past maxQueuedBytes over all services', () => {
      const h = harness({ maxQueuedBytes: 10 });
      const client = addClient(h, 'c');
      request(h, client, { id: 1 }, 0, Buffer.alloc(6));
      request(h, client, { id: 2, pattern: 'room.join' }, 0, Buffer.alloc(5));
      expect(answered(h.frontend.take())).toEqual([
        expect.objectContaining({ id: 2, error: ErrorCode.OVERLOADED }),
      ]);
      expect(h.dispatcher.queuedBytes).toBe(6);
    });

    it('answers PAYLOAD_TOO_LARGE for a body over maxBodyBytes', () => {
      const h = harness({ maxBodyBytes: 4 });
      addWorker(h, 'a', 1);
      request(h, addClient(h, 'c'), { id: 1 }, 0, Buffer.alloc(5));
      expect(answered(h.frontend.take())).toEqual([
        expect.objectContaining({ id: 1, error: ErrorCode.PAYLOAD_TOO_LARGE }),
      ]);
      expect(h.backend.take()).toHaveLength(0);
    });
  });

  describe('deadlines and grace', () => {
    it('never dispatches an expired request, whether credit frees up or the sweep comes first', () => {
      const h = harness();
      addWorker(h, 'a', 1);
      const client = addClient(h, 'c');
      request(h, client, { id: 1, timeoutMs: 10_000 }, 0);
      request(h, client, { id: 2, timeoutMs: 100 }, 0);
      request(h, client, { id: 3, timeoutMs: 300 }, 0);
      request(h, client, { id: 4, timeoutMs: 0 }, 0);
      const [first] = dispatched(h.backend.take());
      expect(answered(h.frontend.take())).toEqual([
        expect.objectContaining({ id: 4, error: ErrorCode.DEADLINE_EXCEEDED }),
      ]);

      reply(h, 'a', first.id, 150); // frees credit after id 2 expired: 2 is answered, 3 goes
      expect(answered(h.frontend.take()).map((r) => [r.id, r.error])).toEqual([
        [1, undefined],
        [2, ErrorCode.DEADLINE_EXCEEDED],
      ]);
      expect(dispatched(h.backend.take()).map((d) => d.timeoutMs)).toEqual([150]);

      request(h, client, { id: 5, timeoutMs: 100 }, 200);
      h.dispatcher.sweepQueues(250);
      expect(h.frontend.take()).toHaveLength(0);
      h.dispatcher.sweepQueues(300);
      expect(answered(h.frontend.take())).toEqual([
        expect.objectContaining({ id: 5, error: ErrorCode.DEADLINE_EXCEEDED }),
      ]);
      expect(h.backend.take()).toHaveLength(0);
      expect(h.dispatcher.counters.expired).toBe(3);
    });

    it('keeps a request for a service without workers for the grace period, then SERVICE_UNAVAILABLE', () => {
      const h = harness({ serviceGraceMs: 1000 });
      const client = addClient(h, 'c');
      request(h, client, { id: 1, timeoutMs: 60_000 }, 0);
      h.dispatcher.sweepQueues(999);
      expect(h.frontend.take()).toHaveLength(0);
      h.dispatcher.sweepQueues(1000);
      expect(answered(h.frontend.take())).toEqual([
        expect.objectContaining({ id: 1, error: ErrorCode.SERVICE_UNAVAILABLE }),
      ]);
      h.dispatcher.sweepQueues(1050);
      expect(h.dispatcher.workers.service('user')).toBeUndefined();
    });

    it('dispatches a waiting request when a worker appears within the grace period', () => {
      const h = harness({ serviceGraceMs: 1000 });
      request(h, addClient(h, 'c'), { id: 1, timeoutMs: 60_000 }, 0);
      addWorker(h, 'a', 1, 800);
      expect(dispatched(h.backend.take())).toHaveLength(1);
    });

    it('fails a pattern no worker could ever serve at once', () => {
      const h = harness();
      request(h, addClient(h, 'c'), { id: 1, pattern: '.oops' }, 0);
      expect(answered(h.frontend.take())).toEqual([
        expect.objectContaining({ id: 1, error: ErrorCode.SERVICE_UNAVAILABLE }),
      ]);
    });
  });

  describe('events', () => {
    it('dispatches EVENT requests and consumes their replies', () => {
      const h = harness();
      addWorker(h, 'a', 1);
      request(h, addClient(h, 'c'), { id: 1, flags: EVENT });
      const [sent] = dispatched(h.backend.take());
      reply(h, 'a', sent.id);
      expect(h.frontend.take()).toHaveLength(0);
      expect(h.dispatcher.workers.get('a')!.inFlight.size).toBe(0);
    });
  });

  it('reports stats in the protocol shape', () => {
    const h = harness();
    addWorker(h, 'a', 4, 0);
    request(h, addClient(h, 'c'), { id: 1 });
    expect(h.dispatcher.stats('b1', 1234, 100)).toEqual({
      brokerId: 'b1',
      // No bus in this unit: nothing admitted or refused.
      busAuth: [],
      uptimeMs: 1234,
      services: {
        user: {
          queued: 0,
          workers: [
            {
              instance: 'a',
              version: '1.0.0',
              capacity: 4,
              inFlight: 1,
              served: 0,
              draining: false,
              lastSeenMsAgo: 100,
            },
          ],
        },
      },
      clients: 1,
      inFlight: 1,
      queuedBytes: 0,
      counters: {
        requests: 1,
        replies: 0,
        dispatched: 1,
        redispatched: 0,
        malformed: 0,
        malformedFrontend: 0,
        malformedBackend: 0,
        peerDisconnects: 0,
        peerDisconnectsFrontend: 0,
        peerDisconnectsBackend: 0,
        overloaded: 0,
        expired: 0,
        workerLost: 0,
        serviceUnavailable: 0,
        tooLarge: 0,
        eventsLost: 0,
        staleReplies: 0,
        droppedForDeadClient: 0,
        undeliverableReplies: 0,
      },
    });
  });
});
