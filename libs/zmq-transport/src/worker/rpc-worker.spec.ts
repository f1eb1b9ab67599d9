import { ErrorCode, RpcError } from '@live-im/contracts';
import { eventually, ScriptedRouter, TestTransport } from '../__tests__/scripted-router';
import { JsonCodec, MsgpackCodec } from '../protocol/codec';
import { CodecId, Command, ReplyStatus, RequestFlag } from '../protocol/command';
import { decodeReplyMeta, encodeRequestMeta, ReplyMeta } from '../protocol/frames';
import { SILENT_LOGGER } from '../socket/transport-logger';
import { RpcDispatch, RpcWorker, RpcWorkerOptions } from './rpc-worker';

interface ReceivedReply {
  meta: ReplyMeta;
  body: Buffer;
}

async function receiveReplies(router: ScriptedRouter, count: number): Promise<ReceivedReply[]> {
  const replies: ReceivedReply[] = [];
  while (replies.length < count) {
    const { frames } = await router.next(Command.REPLY);
    for (let i = 0; i < frames.length; i += 2)
      replies.push({ meta: decodeReplyMeta(frames[i]), body: frames[i + 1] });
  }
  return replies;
}

function request(
  id: number,
  pattern: string,
  payload: unknown,
  timeoutMs = 2000,
  flags = 0,
  codec = JsonCodec,
): Buffer[] {
  return [
    encodeRequestMeta({ id, timeoutMs, flags, codec: codec.id, pattern, traceId: `trace-${id}` }),
    codec.encode(payload),
  ];
}

const errorOf = (reply: ReceivedReply): unknown => JSON.parse(reply.body.toString('utf8'));

describe.each<TestTransport>(['tcp', 'ipc'])('RpcWorker over %s', (transport) => {
  let broker: ScriptedRouter;
  const workers: RpcWorker[] = [];

  beforeEach(async () => {
    broker = await ScriptedRouter.bind(transport);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    broker.close();
  });

  /** Starts a worker and returns the broker-side routing id it announced READY from. */
  async function worker(
    dispatch: RpcDispatch,
    options: Partial<RpcWorkerOptions> = {},
  ): Promise<{ w: RpcWorker; peer: Buffer }> {
    const w = new RpcWorker({
      brokers: [broker.endpoint],
      service: 'calc',
      instance: 'calc-1',
      version: '1.2.3',
      capacity: 8,
      heartbeatMs: 50,
      lingerMs: 50,
      logger: SILENT_LOGGER,
      dispatch,
      ...options,
    });
    workers.push(w);
    w.start();
    const ready = await broker.next(Command.READY);
    return { w, peer: ready.peer };
  }

  it('announces READY and answers requests in their codec, many in flight', async () => {
    const seenTraces: string[] = [];
    const { peer } = await worker((_pattern, payload, req) => {
      seenTraces.push(req.traceId);
      const { n } = payload as { n: number };
      // Kept: handlers that take different times, so that replies leave out of request order.
      setTimeout(() => req.value({ doubled: n * 2 }, true), 20 - n);
    });
    broker.take(Command.READY);
    await broker.send(
      peer,
      Command.REQUEST,
      ...request(7, 'calc.double', { n: 1 }),
      ...request(8, 'calc.double', { n: 2 }, 2000, 0, MsgpackCodec),
    );
    const replies = await receiveReplies(broker, 2);
    const byId = new Map(replies.map((r) => [r.meta.id, r]));
    expect(byId.get(7)!.meta).toEqual({ id: 7, status: ReplyStatus.OK, codec: CodecId.JSON });
    expect(JsonCodec.decode(byId.get(7)!.body)).toEqual({ doubled: 2 });
    expect(byId.get(8)!.meta.codec).toBe(CodecId.MSGPACK);
    expect(MsgpackCodec.decode(byId.get(8)!.body)).toEqual({ doubled: 4 });
    expect(seenTraces.sort()).toEqual(['trace-7', 'trace-8']);
  });

  it('sends the announcement the protocol asks for', async () => {
    const w = new RpcWorker({
      brokers: [broker.endpoint],
      service: 'calc',
      instance: 'calc-9',
      version: '0.1.0',
      capacity: 3,
      logger: SILENT_LOGGER,
      dispatch: () => undefined,
    });
    workers.push(w);
    w.start();
    const { frames } = await broker.next(Command.READY);
    expect(JSON.parse(frames[0].toString())).toEqual({
      service: 'calc',
      instance: 'calc-9',
      version: '0.1.0',
      capacity: 3,
      pid: process.pid,
    });
  });

  it('answers DEADLINE_EXCEEDED without running the handler: timeout 0, or expired while waiting for credit', async () => {
    const ran: number[] = [];
    const { peer } = await worker(
      (_p, payload, req) => {
        ran.push(payload as number);
        // Kept: a handler that outlasts request 3's 50 ms deadline (a busy machine only lengthens it).
        setTimeout(() => req.value(payload, true), 150);
      },
      { capacity: 1 },
    );
    await broker.send(peer, Command.REQUEST, ...request(1, 'calc.x', 1, 0));
    const [expired] = await receiveReplies(broker, 1);
    expect(expired.meta).toMatchObject({ id: 1, status: ReplyStatus.ERROR, codec: CodecId.JSON });
    expect(errorOf(expired)).toMatchObject({ code: ErrorCode.DEADLINE_EXCEEDED });

    // Capacity 1: request 3 waits behind request 2 and its 50 ms deadline passes meanwhile.
    await broker.send(
      peer,
      Command.REQUEST,
      ...request(2, 'calc.x', 2, 2000),
      ...request(3, 'calc.x', 3, 50),
    );
    const replies = await receiveReplies(broker, 2);
    // It is found expired when credit frees up, i.e. once request 2 is done.
    expect(replies.map((r) => [r.meta.id, r.meta.status])).toEqual([
      [2, ReplyStatus.OK],
      [3, ReplyStatus.ERROR],
    ]);
    expect(errorOf(replies[1])).toMatchObject({ code: ErrorCode.DEADLINE_EXCEEDED });
    expect(ran).toEqual([2]);
  });

  it('never runs more than capacity requests at once', async () => {
    let running = 0;
    let peak = 0;
    const { peer } = await worker(
      (_p, payload, req) => {
        running += 1;
        peak = Math.max(peak, running);
        // Kept: handlers that take a while, so that every credit is in use at once.
        setTimeout(() => {
          running -= 1;
          req.value(payload, true);
        }, 10);
      },
      { capacity: 3 },
    );
    const frames = Array.from({ length: 12 }, (_, i) => request(i + 1, 'calc.x', i)).flat();
    await broker.send(peer, Command.REQUEST, ...frames);
    const replies = await receiveReplies(broker, 12);
    expect(replies.every((r) => r.meta.status === ReplyStatus.OK)).toBe(true);
    expect(peak).toBe(3);
  });

  it('maps handler errors to contract codes without leaking internals', async () => {
    const { peer } = await worker((pattern) => {
      if (pattern === 'calc.missing') throw new RpcError(ErrorCode.NOT_FOUND, 'no such thing', { id: 'x' });
      return Promise.reject(new Error('db password is hunter2'));
    });
    await broker.send(
      peer,
      Command.REQUEST,
      ...request(1, 'calc.missing', {}),
      ...request(2, 'calc.crash', {}),
    );
    const replies = await receiveReplies(broker, 2);
    const byId = new Map(replies.map((r) => [r.meta.id, errorOf(r)]));
    expect(byId.get(1)).toEqual({ code: 'NOT_FOUND', message: 'no such thing', details: { id: 'x' } });
    expect(byId.get(2)).toEqual({ code: 'INTERNAL', message: 'internal error' });
  });

  it('streams NEXT values then END, and acknowledges events with an empty OK', async () => {
    const events: unknown[] = [];
    const { peer } = await worker((_pattern, payload, req) => {
      if (req.isEvent) {
        events.push(payload);
        req.value('ignored', true);
        return;
      }
      req.value('a', false);
      req.value('b', false);
      req.end();
    });
    await broker.send(
      peer,
      Command.REQUEST,
      ...request(1, 'calc.feed', {}),
      ...request(2, 'calc.seen', { e: 1 }, 2000, RequestFlag.EVENT),
    );
    const replies = await receiveReplies(broker, 4);
    const stream = replies.filter((r) => r.meta.id === 1);
    expect(stream.map((r) => r.meta.status)).toEqual([ReplyStatus.NEXT, ReplyStatus.NEXT, ReplyStatus.END]);
    expect(stream.slice(0, 2).map((r) => JsonCodec.decode(r.body))).toEqual(['a', 'b']);
    const ack = replies.find((r) => r.meta.id === 2)!;
    expect(ack.meta.status).toBe(ReplyStatus.OK);
    expect(ack.body).toHaveLength(0);
    expect(events).toEqual([{ e: 1 }]);
  });

  it('drops a REQUEST with one malformed pair whole', async () => {
    const calls: string[] = [];
    const { w, peer } = await worker((pattern, payload, req) => {
      calls.push(pattern);
      req.value(payload, true);
    });
    await broker.send(
      peer,
      Command.REQUEST,
      ...request(1, 'calc.x', 1),
      Buffer.from('garbage'),
      Buffer.alloc(0),
    );
    await broker.send(peer, Command.REQUEST, Buffer.from('odd'));
    await eventually(() => w.malformed === 2);
    expect(calls).toEqual([]);
    await broker.send(peer, Command.REQUEST, ...request(2, 'calc.x', 2));
    const [reply] = await receiveReplies(broker, 1);
    expect(reply.meta.id).toBe(2);
    expect(calls).toEqual(['calc.x']);
  });

  it('announces READY again on UNKNOWN_PEER and after the broker was silent', async () => {
    const { w, peer } = await worker(() => undefined);
    await broker.send(peer, Command.UNKNOWN_PEER);
    await broker.next(Command.READY);
    broker.autoPong = false;
    await eventually(() => w.liveBrokers === 0);
    expect(broker.take(Command.READY)).toEqual([]);
    broker.autoPong = true;
    await broker.next(Command.READY);
  });

  it('does not take its own stall for a silent broker', async () => {
    const { w } = await worker(() => undefined);
    await eventually(() => w.liveBrokers === 1);
    const states: boolean[] = [];
    w.onBrokerState((state) => states.push(state.up));
    // This process (worker and broker alike) is blocked for 5 heartbeats, then runs on.
    const until = Date.now() + 250;
    while (Date.now() < until);
    // Then enough heartbeats for a silent broker to be judged dead (3 + the stalled tick).
    const pingsAfterStall = broker.pings;
    await eventually(() => broker.pings >= pingsAfterStall + 4);
    expect(states).toEqual([]);
    expect(broker.take(Command.READY)).toEqual([]);
  });

  it('drains: DRAIN, serves what was dispatched before DRAIN_ACK, then DISCONNECT and close', async () => {
    const served: number[] = [];
    const { w, peer } = await worker((_p, payload, req) => {
      // Kept: a handler that takes a while, so that request 1 is still running when DRAIN goes out.
      setTimeout(() => {
        served.push(payload as number);
        req.value(payload, true);
      }, 60);
    });
    await broker.send(peer, Command.REQUEST, ...request(1, 'calc.x', 1));
    await eventually(() => w.inFlight === 1);
    let drained = false;
    const draining = w.drain({ ackTimeoutMs: 2000 }).then(() => (drained = true));
    await broker.next(Command.DRAIN);
    // Dispatched before the broker's ack: it still arrives and is served.
    await broker.send(peer, Command.REQUEST, ...request(2, 'calc.x', 2));
    // Both served and their replies out: only the missing DRAIN_ACK holds the drain now.
    const replies = await receiveReplies(broker, 2);
    expect(w.inFlight).toBe(0);
    expect(drained).toBe(false);
    await broker.send(peer, Command.DRAIN_ACK);
    // UNKNOWN_PEER while draining must not bring a READY back.
    await broker.send(peer, Command.UNKNOWN_PEER);
    await broker.next(Command.DISCONNECT);
    await draining;
    expect(served).toEqual([1, 2]);
    expect(replies.map((r) => r.meta.id).sort()).toEqual([1, 2]);
    expect(broker.take(Command.REPLY)).toEqual([]);
    expect(broker.take(Command.READY)).toEqual([]);
  });

  it('drains without waiting forever for a broker that never acks', async () => {
    const { w } = await worker(() => undefined);
    const startedAt = Date.now();
    await w.drain({ ackTimeoutMs: 100 });
    expect(Date.now() - startedAt).toBeLessThan(1000);
    await broker.next(Command.DISCONNECT);
  });

  it('reports live brokers to a health ping', async () => {
    const { w } = await worker(() => undefined);
    await expect(w.ping(200)).resolves.toEqual({ live: 1, total: 1 });
    broker.autoPong = false;
    await expect(w.ping(100)).resolves.toEqual({ live: 0, total: 1 });
  });
});
