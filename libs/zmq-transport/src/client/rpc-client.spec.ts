import { ErrorCode, RpcError } from '@live-im/contracts';
import { RequestContext } from '@live-im/logging';
import { bindAddress, eventually, ScriptedRouter, TestTransport } from '../__tests__/scripted-router';
import { JsonCodec, MsgpackCodec } from '../protocol/codec';
import { CodecId, Command, ReplyStatus, RequestFlag } from '../protocol/command';
import { decodeRequestMeta, encodeReplyMeta, RequestMeta } from '../protocol/frames';
import { SILENT_LOGGER } from '../socket/transport-logger';
import { RpcClient, RpcClientOptions } from './rpc-client';

interface ReceivedPair {
  peer: Buffer;
  meta: RequestMeta;
  body: Buffer;
}

/** Reads REQUEST messages until `count` pairs arrived (however the client coalesced them). */
async function receivePairs(router: ScriptedRouter, count: number): Promise<ReceivedPair[]> {
  const pairs: ReceivedPair[] = [];
  while (pairs.length < count) {
    const { peer, frames } = await router.next(Command.REQUEST);
    for (let i = 0; i < frames.length; i += 2) {
      pairs.push({ peer, meta: decodeRequestMeta(frames[i]), body: frames[i + 1] });
    }
  }
  return pairs;
}

function ok(id: number, value: unknown): Buffer[] {
  return [encodeReplyMeta(id, ReplyStatus.OK, CodecId.JSON), JsonCodec.encode(value)];
}

async function rejection(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe.each<TestTransport>(['tcp', 'ipc'])('RpcClient over %s', (transport) => {
  const routers: ScriptedRouter[] = [];
  const clients: RpcClient[] = [];

  async function router(): Promise<ScriptedRouter> {
    const r = await ScriptedRouter.bind(transport);
    routers.push(r);
    return r;
  }

  function client(endpoints: string[], options: Partial<RpcClientOptions> = {}): RpcClient {
    const c = new RpcClient({
      brokers: endpoints,
      heartbeatMs: 50,
      logger: SILENT_LOGGER,
      lingerMs: 0,
      ...options,
    });
    clients.push(c);
    c.start();
    return c;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const r of routers.splice(0)) r.close();
  });

  it('sends a burst of calls in messages of eagerPairs pairs', async () => {
    const broker = await router();
    const rpc = client([broker.endpoint], { eagerPairs: 4 });
    const calls = Array.from({ length: 10 }, (_, n) => rpc.call('calc.double', { n }, { timeoutMs: 3000 }));
    const sizes: number[] = [];
    for (let seen = 0; seen < 10; ) {
      const { frames } = await broker.next(Command.REQUEST);
      sizes.push(frames.length / 2);
      seen += frames.length / 2;
    }
    expect(sizes).toEqual([4, 4, 2]);
    void Promise.allSettled(calls);
  });

  it('refuses an eagerPairs that is not an integer 1..512', () => {
    for (const eagerPairs of [0, 1.5, 513, Number.NaN]) {
      expect(() => new RpcClient({ brokers: ['tcp://127.0.0.1:1'], eagerPairs })).toThrow(
        'eagerPairs must be an integer 1..512',
      );
    }
  });

  it('correlates many calls in flight on one socket, answered out of order', async () => {
    const broker = await router();
    const rpc = client([broker.endpoint]);
    const calls = Array.from({ length: 200 }, (_, n) =>
      rpc.call('calc.double', { n }, { timeoutMs: 3000, idempotent: true, traceId: `t-${n}` }),
    );
    const pairs = await receivePairs(broker, 200);
    expect(new Set(pairs.map((p) => p.meta.id)).size).toBe(200);
    for (const { meta } of pairs) {
      expect(meta).toMatchObject({
        pattern: 'calc.double',
        flags: RequestFlag.IDEMPOTENT,
        codec: CodecId.JSON,
      });
      expect(meta.timeoutMs).toBeGreaterThan(2000);
      expect(meta.timeoutMs).toBeLessThanOrEqual(3000);
    }
    // Answer in reverse, several replies per message; odd numbers fail with a business code.
    const reversed = [...pairs].reverse();
    for (let i = 0; i < reversed.length; i += 50) {
      const frames = reversed.slice(i, i + 50).flatMap(({ meta, body }) => {
        const { n } = JsonCodec.decode(body) as { n: number };
        return n % 2 === 0
          ? ok(meta.id, { doubled: n * 2, trace: meta.traceId })
          : [
              encodeReplyMeta(meta.id, ReplyStatus.ERROR, CodecId.JSON),
              JsonCodec.encode({ code: 'NOT_FOUND', message: `odd ${n}` }),
            ];
      });
      await broker.send(pairs[0].peer, Command.REPLY, ...frames);
    }
    const settled = await Promise.allSettled(calls);
    settled.forEach((outcome, n) => {
      if (n % 2 === 0)
        expect(outcome).toEqual({ status: 'fulfilled', value: { doubled: n * 2, trace: `t-${n}` } });
      else
        expect(outcome).toMatchObject({
          status: 'rejected',
          reason: { code: 'NOT_FOUND', message: `odd ${n}` },
        });
    });
    expect(rpc.inFlight).toBe(0);
  });

  it('lets calls with coalesceMs wait for company, and sends them at once with a call without', async () => {
    const broker = await router();
    // Heartbeats rare: a PING (never held) would take held calls along early.
    const rpc = client([broker.endpoint], { heartbeatMs: 5000 });
    await eventually(() => rpc.liveBrokers === 1);
    const calls: Array<Promise<unknown>> = [];
    const call = (pattern: string, n: number, coalesceMs?: number, timeoutMs = 3000): void => {
      const promise = rpc.call(pattern, { n }, { timeoutMs, coalesceMs });
      promise.catch(() => undefined); // judged below; a failed expectation must not also crash
      calls.push(promise);
    };
    call('room.chat', 1, 300);
    call('room.chat', 2, 300);
    await new Promise((resolve) => setImmediate(resolve));
    call('room.chat', 3, 300);
    const first = await broker.next(Command.REQUEST);
    // The three calls, the last one a turn later, left as one message when the first one's hold ended.
    expect(first.frames.length / 2).toBe(3);
    // A hold far longer than next()'s wait: the gift must take this chat along at once.
    call('room.chat', 4, 60_000, 600_000);
    call('room.gift', 5);
    const second = await broker.next(Command.REQUEST, 4000);
    expect(second.frames.filter((_, i) => i % 2 === 0).map((m) => decodeRequestMeta(m).pattern)).toEqual([
      'room.chat',
      'room.gift',
    ]);
    const pairs = [...first.frames, ...second.frames];
    const replies: Buffer[] = [];
    for (let i = 0; i < pairs.length; i += 2) replies.push(...ok(decodeRequestMeta(pairs[i]).id, 'ok'));
    await broker.send(first.peer, Command.REPLY, ...replies);
    await expect(Promise.all(calls)).resolves.toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('takes the trace id from the request context, and speaks MessagePack on request', async () => {
    const broker = await router();
    const rpc = client([broker.endpoint]);
    const call = RequestContext.run('ctx-123', () =>
      rpc.call('calc.echo', { a: [1, 2] }, { codec: MsgpackCodec }),
    );
    const [pair] = await receivePairs(broker, 1);
    expect(pair.meta).toMatchObject({ traceId: 'ctx-123', codec: CodecId.MSGPACK, flags: 0 });
    expect(MsgpackCodec.decode(pair.body)).toEqual({ a: [1, 2] });
    await broker.send(
      pair.peer,
      Command.REPLY,
      encodeReplyMeta(pair.meta.id, ReplyStatus.OK, CodecId.MSGPACK),
      MsgpackCodec.encode({ b: 3 }),
    );
    await expect(call).resolves.toEqual({ b: 3 });

    const fresh = rpc.call('calc.echo', 1);
    const [second] = await receivePairs(broker, 1);
    expect(second.meta.traceId).toMatch(/^[0-9a-f]{10}[0-9a-z]+$/);
    await broker.send(second.peer, Command.REPLY, ...ok(second.meta.id, 1));
    await fresh;
  });

  it('fails a call at its deadline with DEADLINE_EXCEEDED and ignores the late reply', async () => {
    const broker = await router();
    const rpc = client([broker.endpoint], { sweepMs: 10 });
    const startedAt = Date.now();
    const call = rpc.call('slow.op', {}, { timeoutMs: 120 });
    const [pair] = await receivePairs(broker, 1);
    const error = await rejection(call);
    expect(error.code).toBe(ErrorCode.DEADLINE_EXCEEDED);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(110);
    await broker.send(pair.peer, Command.REPLY, ...ok(pair.meta.id, 'late'));
    // Replies of one connection are read in order: once a later call is answered, the late one was read.
    const after = rpc.call('calc.x', 1, { timeoutMs: 3000 });
    const [next] = await receivePairs(broker, 1);
    await broker.send(next.peer, Command.REPLY, ...ok(next.meta.id, 'after'));
    await expect(after).resolves.toBe('after');
    expect(rpc.inFlight).toBe(0);
    expect(rpc.malformed).toBe(0);
  });

  it('streams NEXT values and completes on END', async () => {
    const broker = await router();
    const rpc = client([broker.endpoint]);
    const values: unknown[] = [];
    const done = new Promise<void>((resolve, reject) =>
      rpc.stream(
        'feed.tail',
        {},
        { timeoutMs: 2000 },
        { next: (v) => values.push(v), error: reject, complete: resolve },
      ),
    );
    const [pair] = await receivePairs(broker, 1);
    const id = pair.meta.id;
    await broker.send(
      pair.peer,
      Command.REPLY,
      encodeReplyMeta(id, ReplyStatus.NEXT, CodecId.JSON),
      JsonCodec.encode(1),
      encodeReplyMeta(id, ReplyStatus.NEXT, CodecId.JSON),
      JsonCodec.encode(2),
    );
    await broker.send(
      pair.peer,
      Command.REPLY,
      encodeReplyMeta(id, ReplyStatus.END, CodecId.JSON),
      Buffer.alloc(0),
    );
    await done;
    expect(values).toEqual([1, 2]);
  });

  it('drops a REPLY with one malformed pair whole', async () => {
    const broker = await router();
    const rpc = client([broker.endpoint]);
    const call = rpc.call('calc.x', 1);
    const [pair] = await receivePairs(broker, 1);
    await broker.send(
      pair.peer,
      Command.REPLY,
      ...ok(pair.meta.id, 'first'),
      Buffer.from([1, 2, 3]),
      Buffer.alloc(0),
    );
    await eventually(() => rpc.malformed === 1);
    expect(rpc.inFlight).toBe(1);
    await broker.send(pair.peer, Command.REPLY, ...ok(pair.meta.id, 'second'));
    await expect(call).resolves.toBe('second');
  });

  it('sends events with the EVENT flag, and asks a broker for STATS', async () => {
    const broker = await router();
    const rpc = client([broker.endpoint]);
    await rpc.emit('room.touched', { roomId: 'r1' });
    const [event] = await receivePairs(broker, 1);
    expect(event.meta.flags & RequestFlag.EVENT).toBe(RequestFlag.EVENT);

    const stats = rpc.stats(0, 2000);
    const { peer, frames } = await broker.next(Command.STATS);
    expect(frames).toHaveLength(1);
    await broker.send(
      peer,
      Command.STATS_REPLY,
      frames[0],
      Buffer.from(JSON.stringify({ brokerId: 'b1', clients: 1 })),
    );
    await expect(stats).resolves.toMatchObject({ brokerId: 'b1', clients: 1 });
  });

  it('waits for a broker to come up, until the deadline', async () => {
    // An address nobody listens on yet.
    const endpoint =
      transport === 'ipc'
        ? bindAddress('ipc')
        : await (async () => {
            const probe = await ScriptedRouter.bind('tcp');
            probe.close();
            return probe.endpoint;
          })();
    const rpc = client([endpoint]);
    await expect(rejection(rpc.call('calc.x', 1, { timeoutMs: 100 }))).resolves.toMatchObject({
      code: ErrorCode.DEADLINE_EXCEEDED,
    });
    const waiting = rpc.call('calc.x', 2, { timeoutMs: 3000 });
    expect(rpc.inFlight).toBe(1);
    const late = await ScriptedRouter.bind(endpoint);
    routers.push(late);
    const [pair] = await receivePairs(late, 1);
    expect(JsonCodec.decode(pair.body)).toBe(2);
    await late.send(pair.peer, Command.REPLY, ...ok(pair.meta.id, 'served'));
    await expect(waiting).resolves.toBe('served');
  });

  it('on a silent broker: re-sends idempotent calls elsewhere, fails the others with WORKER_LOST', async () => {
    const first = await router();
    const second = await router();
    second.autoPong = false;
    const rpc = client([first.endpoint, second.endpoint]);
    await eventually(() => rpc.liveBrokers === 1);
    expect(await rpc.ping(100)).toEqual({ live: 1, total: 2 });

    const idempotent = rpc.call('user.getProfile', { userId: 'u1' }, { idempotent: true, timeoutMs: 3000 });
    const once = rpc.call('user.register', { username: 'bob' }, { idempotent: false, timeoutMs: 3000 });
    const lostAt = Date.now();
    await receivePairs(first, 2);
    // The first broker falls silent (its socket stays open); the second one wakes up.
    first.autoPong = false;
    second.autoPong = true;
    const error = await rejection(once);
    expect(error.code).toBe(ErrorCode.WORKER_LOST);
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(140);
    const [resent] = await receivePairs(second, 1);
    expect(resent.meta.pattern).toBe('user.getProfile');
    expect(resent.meta.timeoutMs).toBeLessThan(3000);
    await second.send(resent.peer, Command.REPLY, ...ok(resent.meta.id, { userId: 'u1' }));
    await expect(idempotent).resolves.toEqual({ userId: 'u1' });
  });

  it('does not take its own stall for a silent broker', async () => {
    const broker = await router();
    const rpc = client([broker.endpoint]);
    await eventually(() => rpc.liveBrokers === 1);
    const once = rpc.call('user.register', { username: 'bob' }, { timeoutMs: 3000 });
    const [pair] = await receivePairs(broker, 1);
    // This process (client and broker alike) is blocked for 5 heartbeats, then runs on.
    const until = Date.now() + 250;
    while (Date.now() < until);
    // Then enough heartbeats for a silent broker to be judged dead (3 + the stalled tick).
    const pingsAfterStall = broker.pings;
    await eventually(() => broker.pings >= pingsAfterStall + 4);
    expect(rpc.liveBrokers).toBe(1);
    await broker.send(pair.peer, Command.REPLY, ...ok(pair.meta.id, 'registered'));
    await expect(once).resolves.toBe('registered');
  });

  it('treats a dropped connection as a dead broker without waiting for heartbeats', async () => {
    const broker = await router();
    const rpc = client([broker.endpoint], { heartbeatMs: 5000 });
    await eventually(() => rpc.liveBrokers === 1);
    const once = rpc.call('user.register', {}, { timeoutMs: 4000 });
    await receivePairs(broker, 1);
    broker.close();
    await expect(rejection(once)).resolves.toMatchObject({ code: ErrorCode.WORKER_LOST });
  });

  it('fails pending calls when closed', async () => {
    const broker = await router();
    const rpc = client([broker.endpoint]);
    const call = rpc.call('calc.x', 1);
    await receivePairs(broker, 1);
    await rpc.close();
    await expect(rejection(call)).resolves.toMatchObject({ code: ErrorCode.SERVICE_UNAVAILABLE });
    await expect(rejection(rpc.call('calc.x', 1))).resolves.toMatchObject({
      code: ErrorCode.SERVICE_UNAVAILABLE,
    });
  });
});
