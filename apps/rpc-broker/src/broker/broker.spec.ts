import { ErrorCode } from '@live-im/contracts';
import {
  Command,
  decodeReplyMeta,
  decodeRequestMeta,
  encodeRequestMeta,
  ReplyStatus,
  RequestFlag,
} from '@live-im/zmq-transport';
import type { Broker } from './broker';
import type { BrokerStats } from './broker-stats';
import { pairs, ready, replyPair, ScriptedPeer, startBroker } from './__tests__/peers';

function meta(id: number, pattern: string, flags = 0, timeoutMs = 2000): Buffer {
  return encodeRequestMeta({ id, timeoutMs, flags, codec: 0, pattern, traceId: `t-${id}` });
}

describe('Broker over real sockets', () => {
  let broker: Broker;
  const peers: ScriptedPeer[] = [];
  const peer = (endpoint: string | null) => {
    const p = new ScriptedPeer(endpoint!);
    peers.push(p);
    return p;
  };

  beforeEach(async () => {
    broker = await startBroker({ heartbeatMs: 100, serviceGraceMs: 300 });
  });

  afterEach(async () => {
    peers.splice(0).forEach((p) => p.close());
    await broker.close();
  });

  it('binds random loopback ports', () => {
    expect(broker.frontendEndpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(broker.backendEndpoint).not.toBe(broker.frontendEndpoint);
    expect(broker.isRunning).toBe(true);
  });

  it('carries coalesced requests to a worker and coalesced replies back, ids mapped per hop', async () => {
    const worker = peer(broker.backendEndpoint);
    await worker.send(Command.READY, ready('echo', 'echo-1', 8));
    const client = peer(broker.frontendEndpoint);
    await client.send(
      Command.REQUEST,
      meta(101, 'echo.say'),
      Buffer.from('"a"'),
      meta(102, 'echo.say'),
      Buffer.from('"b"'),
      meta(103, 'echo.say'),
      Buffer.from('"c"'),
    );

    // The three pairs arrived in one message and leave in one: coalescing, not one send per call.
    const received = pairs(await worker.receiveCommand(Command.REQUEST));
    expect(received).toHaveLength(3);
    const requests = received.map(([m, body]) => ({ ...decodeRequestMeta(m), body: body.toString() }));
    expect(requests.map((r) => [r.pattern, r.traceId, r.body])).toEqual([
      ['echo.say', 't-101', '"a"'],
      ['echo.say', 't-102', '"b"'],
      ['echo.say', 't-103', '"c"'],
    ]);
    expect(requests.every((r) => r.timeoutMs > 1500 && r.timeoutMs <= 2000)).toBe(true);

    // Answer out of order, all in one message.
    await worker.send(
      Command.REPLY,
      ...[2, 0, 1].flatMap((i) => replyPair(requests[i].id, `"re-${requests[i].body}"`)),
    );
    const replies = pairs(await client.receiveCommand(Command.REPLY));
    expect(replies).toHaveLength(3);
    expect(replies.map(([m, body]) => [decodeReplyMeta(m).id, body.toString()])).toEqual([
      [103, '"re-"c""'],
      [101, '"re-"a""'],
      [102, '"re-"b""'],
    ]);
  });

  it('answers heartbeats: PONG to known peers, UNKNOWN_PEER to an unknown worker', async () => {
    const client = peer(broker.frontendEndpoint);
    await client.send(Command.PING);
    expect((await client.receive()).command).toBe(Command.PONG);

    const worker = peer(broker.backendEndpoint);
    await worker.send(Command.PING);
    expect((await worker.receive()).command).toBe(Command.UNKNOWN_PEER);
    await worker.send(Command.READY, ready('echo', 'echo-1', 1));
    await worker.send(Command.PING);
    expect((await worker.receive()).command).toBe(Command.PONG);
  });

  it('answers STATS with the statistics JSON', async () => {
    const worker = peer(broker.backendEndpoint);
    await worker.send(Command.READY, ready('echo', 'echo-1', 5));
    await worker.send(Command.PING);
    await worker.receiveCommand(Command.PONG);
    const client = peer(broker.frontendEndpoint);
    const id = Buffer.alloc(4);
    id.writeUInt32LE(77);
    await client.send(Command.STATS, id);
    const [replyId, json] = await client.receiveCommand(Command.STATS_REPLY);
    expect(replyId.readUInt32LE(0)).toBe(77);
    const stats = JSON.parse(json.toString()) as BrokerStats;
    expect(stats.brokerId).toBe('test-broker');
    expect(stats.services['echo'].workers).toEqual([
      expect.objectContaining({
        instance: 'echo-1',
        version: '0.1.0',
        capacity: 5,
        inFlight: 0,
        draining: false,
      }),
    ]);
    expect(stats.clients).toBe(1);
  });

  it('drains a worker: DRAIN_ACK, then new requests go to the other worker', async () => {
    const old = peer(broker.backendEndpoint);
    await old.send(Command.READY, ready('echo', 'old', 100));
    await old.send(Command.DRAIN);
    await old.receiveCommand(Command.DRAIN_ACK);
    const fresh = peer(broker.backendEndpoint);
    await fresh.send(Command.READY, ready('echo', 'fresh', 1));

    const client = peer(broker.frontendEndpoint);
    await client.send(Command.REQUEST, meta(1, 'echo.say'), Buffer.from('1'));
    const [request] = pairs(await fresh.receiveCommand(Command.REQUEST));
    await old.expectSilence(100);
    await old.send(Command.DISCONNECT);
    await fresh.send(Command.REPLY, ...replyPair(decodeRequestMeta(request[0]).id, '"ok"'));
    const [[replyMeta]] = [pairs(await client.receiveCommand(Command.REPLY))];
    expect(decodeReplyMeta(replyMeta[0]).id).toBe(1);
  });

  it('when a worker falls silent, moves its idempotent request to another worker and fails the other', async () => {
    const doomed = peer(broker.backendEndpoint);
    await doomed.send(Command.READY, ready('echo', 'doomed', 2));
    await doomed.send(Command.PING);
    await doomed.receiveCommand(Command.PONG);
    const client = peer(broker.frontendEndpoint);
    await client.send(
      Command.REQUEST,
      meta(1, 'echo.say', RequestFlag.IDEMPOTENT, 5000),
      Buffer.from('1'),
      meta(2, 'echo.say', 0, 5000),
      Buffer.from('2'),
    );
    const held: Array<[Buffer, Buffer]> = [];
    while (held.length < 2) held.push(...pairs(await doomed.receiveCommand(Command.REQUEST)));

    const survivor = peer(broker.backendEndpoint);
    await survivor.send(Command.READY, ready('echo', 'survivor', 4));
    // The survivor and the client keep pinging; the doomed worker says nothing more.
    const heartbeat = setInterval(() => {
      void survivor.send(Command.PING);
      void client.send(Command.PING);
    }, 50);
    try {
      const [lost] = pairs(await client.receiveCommand(Command.REPLY));
      expect(decodeReplyMeta(lost[0])).toEqual({ id: 2, status: ReplyStatus.ERROR, codec: 0 });
      expect(JSON.parse(lost[1].toString())).toMatchObject({ code: ErrorCode.WORKER_LOST });

      const [again] = pairs(await survivor.receiveCommand(Command.REQUEST));
      expect(again[1].toString()).toBe('1');
      await survivor.send(Command.REPLY, ...replyPair(decodeRequestMeta(again[0]).id, '"second try"'));
      const [done] = pairs(await client.receiveCommand(Command.REPLY));
      expect([decodeReplyMeta(done[0]).id, done[1].toString()]).toEqual([1, '"second try"']);
      expect(broker.stats().counters).toMatchObject({ redispatched: 1, workerLost: 1 });
    } finally {
      clearInterval(heartbeat);
    }
  });

  it('does not take its own stall for silent workers', async () => {
    const steady = peer(broker.backendEndpoint);
    await steady.send(Command.READY, ready('echo', 'steady', 1));
    const heartbeat = setInterval(() => void steady.send(Command.PING), 20);
    try {
      await steady.receiveCommand(Command.PONG);
      // This process (broker and worker alike) is blocked for 5 heartbeats, then runs on.
      const until = Date.now() + 500;
      while (Date.now() < until);
      // Kept: proves the sweeps after the stall keep the worker; no event marks a sweep.
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(broker.stats().services['echo']?.workers.map((w) => w.instance)).toEqual(['steady']);
    } finally {
      clearInterval(heartbeat);
    }
  });

  it('drops a worker at once when a send to it fails, and gives its undelivered request to another', async () => {
    await broker.close();
    // Heartbeats far apart: only the failed send can reveal the dead worker within this test.
    broker = await startBroker({ heartbeatMs: 60_000 });
    const vanished = peer(broker.backendEndpoint);
    await vanished.send(Command.READY, ready('echo', 'vanished', 50));
    await vanished.send(Command.PING);
    await vanished.receiveCommand(Command.PONG);
    const survivor = peer(broker.backendEndpoint);
    await survivor.send(Command.READY, ready('echo', 'survivor', 1));
    await survivor.send(Command.PING);
    await survivor.receiveCommand(Command.PONG);
    vanished.close();
    // Kept: libzmq drops the pipe when its I/O thread reads the FIN; nothing outside the broker sees it.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const client = peer(broker.frontendEndpoint);
    await client.send(Command.REQUEST, meta(5, 'echo.say', 0, 5000), Buffer.from('"not idempotent"'));
    const [request] = pairs(await survivor.receiveCommand(Command.REQUEST));
    expect(request[1].toString()).toBe('"not idempotent"');
    expect(broker.stats().services['echo'].workers.map((w) => w.instance)).toEqual(['survivor']);
    await survivor.send(Command.REPLY, ...replyPair(decodeRequestMeta(request[0]).id, '"done"'));
    const [done] = pairs(await client.receiveCommand(Command.REPLY));
    expect(decodeReplyMeta(done[0]).status).toBe(ReplyStatus.OK);
  });

  it('answers SERVICE_UNAVAILABLE after the grace period', async () => {
    const client = peer(broker.frontendEndpoint);
    const heartbeat = setInterval(() => void client.send(Command.PING), 50);
    try {
      const started = Date.now();
      await client.send(Command.REQUEST, meta(9, 'nobody.home'), Buffer.alloc(0));
      const [[m, body]] = [pairs(await client.receiveCommand(Command.REPLY))[0]];
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(decodeReplyMeta(m).id).toBe(9);
      expect(JSON.parse(body.toString())).toMatchObject({ code: ErrorCode.SERVICE_UNAVAILABLE });
    } finally {
      clearInterval(heartbeat);
    }
  });

  it('keeps the calls of a client that never PINGs for as long as it waits, then forgets it', async () => {
    await broker.close();
    broker = await startBroker({ heartbeatMs: 100, serviceGraceMs: 5000 });
    const client = peer(broker.frontendEndpoint);
    await client.send(Command.REQUEST, meta(1, 'later.op', 0, 10_000), Buffer.alloc(0));
    await client.expectSilence(600); // 6 heartbeats without a word from the client
    expect(broker.stats()).toMatchObject({ clients: 1, services: { later: { queued: 1 } } });

    const worker = peer(broker.backendEndpoint);
    await worker.send(Command.READY, ready('later', 'later-1', 1));
    const [request] = pairs(await worker.receiveCommand(Command.REQUEST));
    await worker.send(Command.REPLY, ...replyPair(decodeRequestMeta(request[0]).id, '"late but there"'));
    const [answer] = pairs(await client.receiveCommand(Command.REPLY));
    expect([decodeReplyMeta(answer[0]).id, answer[1].toString()]).toEqual([1, '"late but there"']);

    await client.expectSilence(600);
    expect(broker.stats().clients).toBe(0);
    expect(broker.counters.droppedForDeadClient).toBe(0);
  });
});
