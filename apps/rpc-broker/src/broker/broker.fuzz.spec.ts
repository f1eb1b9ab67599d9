import {
  Command,
  decodeReplyMeta,
  decodeRequestMeta,
  encodeReplyMeta,
  encodeRequestMeta,
  header,
  PROTOCOL_VERSION,
} from '@live-im/zmq-transport';
import { Garbage, prng } from '@live-im/testing';
import type { Broker } from './broker';
import { pairs, ready, replyPair, ScriptedPeer, startBroker } from './__tests__/peers';

const MESSAGES_PER_SOCKET = 10_000;

/**
 * Messages that are malformed for certain: random bytes behind a header that cannot be valid,
 * truncated metas, wrong frame counts, commands sent to the wrong side, bad READY announcements.
 */
function malformedMessages(side: 'frontend' | 'backend', random: () => number): Buffer[][] {
  const g = new Garbage(random);
  const int = (n: number) => g.int(n);
  const bytes = (n: number) => g.bytes(n);
  const goodMeta = () =>
    encodeRequestMeta({
      id: int(1000),
      timeoutMs: 1000,
      flags: 0,
      codec: 0,
      pattern: 'echo.say',
      traceId: 'x',
    });
  const truncated = (buf: Buffer) => g.truncated(buf);
  const badHeader = () => g.notAHeader(PROTOCOL_VERSION);

  const shared: Array<() => Buffer[]> = [
    () => [badHeader(), ...Array.from({ length: int(4) }, () => bytes(int(40)))],
    () => [Buffer.alloc(0)],
    () => [header(Command.PING), bytes(int(10))],
    () => [header(Command.PONG)],
    () => [Buffer.from([1, 0x0c + int(200)])],
  ];
  const frontend: Array<() => Buffer[]> = [
    () => [header(Command.REQUEST), truncated(goodMeta()), bytes(int(20))],
    () => [header(Command.REQUEST), goodMeta()],
    () => [header(Command.REQUEST), goodMeta(), Buffer.from('{}'), truncated(goodMeta()), Buffer.from('{}')],
    () => [header(Command.REQUEST)],
    () => [header(Command.STATS), bytes(int(4))],
    () => [header(Command.STATS)],
    () => [header(Command.REPLY), encodeReplyMeta(1, 0, 0), Buffer.alloc(0)],
    () => [header(Command.READY), ready('echo', 'sneaky', 1)],
  ];
  const backend: Array<() => Buffer[]> = [
    () => [header(Command.REPLY), bytes(int(6) === 0 ? 5 : 7), bytes(int(20))],
    () => [header(Command.REPLY), Buffer.from([1, 0, 0, 0, 4 + int(250), 0]), Buffer.alloc(0)],
    () => [header(Command.REPLY), encodeReplyMeta(1, 0, 0)],
    () => [header(Command.READY), bytes(int(30))],
    () => [
      header(Command.READY),
      Buffer.from(JSON.stringify({ service: 'echo', instance: 'x', version: '1', capacity: 0, pid: 1 })),
    ],
    () => [header(Command.READY)],
    () => [header(Command.DRAIN), bytes(1)],
    () => [header(Command.DISCONNECT), bytes(2)],
    () => [header(Command.REQUEST), goodMeta(), Buffer.alloc(0)],
    () => [header(Command.STATS), Buffer.alloc(4)],
  ];
  const makers = [...shared, ...(side === 'frontend' ? frontend : backend)];
  return Array.from({ length: MESSAGES_PER_SOCKET }, () => makers[int(makers.length)]());
}

describe('Broker under garbage', () => {
  let broker: Broker;
  const peers: ScriptedPeer[] = [];

  afterEach(async () => {
    peers.splice(0).forEach((p) => p.close());
    await broker.close();
  });

  it(`counts and drops ${MESSAGES_PER_SOCKET} malformed messages per socket, then serves a normal call`, async () => {
    broker = await startBroker();
    const random = prng(0x5eed);
    const badClient = new ScriptedPeer(broker.frontendEndpoint!);
    const badWorker = new ScriptedPeer(broker.backendEndpoint!);
    peers.push(badClient, badWorker);

    for (const frames of malformedMessages('frontend', random)) await badClient.sendRaw(frames);
    for (const frames of malformedMessages('backend', random)) await badWorker.sendRaw(frames);
    // ZeroMQ keeps order per connection: once the PING is answered, everything before it was read.
    await badClient.send(Command.PING);
    await badWorker.send(Command.PING);
    expect((await badClient.receive()).command).toBe(Command.PONG);
    expect((await badWorker.receive()).command).toBe(Command.UNKNOWN_PEER);

    expect(broker.counters.malformedFrontend).toBe(MESSAGES_PER_SOCKET);
    expect(broker.counters.malformedBackend).toBe(MESSAGES_PER_SOCKET);
    expect(broker.stats().counters.malformed).toBe(2 * MESSAGES_PER_SOCKET);
    expect(broker.stats().services).toEqual({});
    await badClient.expectSilence(50);

    const worker = new ScriptedPeer(broker.backendEndpoint!);
    const client = new ScriptedPeer(broker.frontendEndpoint!);
    peers.push(worker, client);
    await worker.send(Command.READY, ready('echo', 'echo-1', 4));
    await client.send(
      Command.REQUEST,
      encodeRequestMeta({ id: 42, timeoutMs: 2000, flags: 0, codec: 0, pattern: 'echo.say', traceId: '' }),
      Buffer.from('"hi"'),
    );
    const [[requestMeta, body]] = [pairs(await worker.receiveCommand(Command.REQUEST))[0]];
    await worker.send(Command.REPLY, ...replyPair(decodeRequestMeta(requestMeta).id, body.toString()));
    const [[replyMeta, replyBody]] = [pairs(await client.receiveCommand(Command.REPLY))[0]];
    expect([decodeReplyMeta(replyMeta).id, replyBody.toString()]).toEqual([42, '"hi"']);
  }, 30_000);
});
