import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserRpc } from '@live-im/contracts';
import { waitFor, WORKSPACE_ROOT } from '@live-im/testing';
import type { InboundRequest } from '@live-im/zmq-transport';
import { pack } from 'msgpackr';
import { wireNumbers } from './support/msgpack-numbers';
import { RawCaller, rawRequestMeta, STATUS } from './support/raw-caller';
import { BrokerNode, HEARTBEAT_MS, RpcCluster } from './support/rpc-cluster';

const PIPELINED = 300;
const SLOW_CAPACITY = 10;
/** 300 calls, 10 at a time, 100 ms each: 3 s of waiting, twelve heartbeat intervals of 250 ms. */
const HANDLER_MS = 100;
const CALL_TIMEOUT_MS = 20_000;
const MSGPACK = 1;

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
}

/** Paths of the integer fields of a JSON Schema, nested objects included. */
function integerPaths(schema: JsonSchema, path = ''): string[] {
  if (schema.type === 'integer') return [path];
  return Object.entries(schema.properties ?? {}).flatMap(([key, inner]) =>
    integerPaths(inner, path === '' ? key : `${path}.${key}`),
  );
}

/** The response schema a foreign client reads from docs/rpc-contracts.json. */
function responseSchema(pattern: string): JsonSchema {
  const listing = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'docs/rpc-contracts.json'), 'utf8')) as {
    operations: Array<{ pattern: string; response: JsonSchema }>;
  };
  const operation = listing.operations.find((op) => op.pattern === pattern);
  if (operation === undefined) throw new Error(`${pattern} is not in docs/rpc-contracts.json`);
  return operation.response;
}

/** `slow.work` answers after HANDLER_MS; every pattern the worker is handed is kept. */
class SlowService {
  readonly patterns: string[] = [];

  dispatch = (pattern: string, payload: unknown, request: InboundRequest): void => {
    this.patterns.push(pattern);
    // Kept: the handler's work takes time on purpose, so that the calls outlast many heartbeats.
    setTimeout(() => request.value({ n: (payload as { n: number }).n }, true), HANDLER_MS);
  };
}

describe('a caller written from docs/rpc-protocol.md (raw DEALER)', () => {
  const cluster = new RpcCluster('foreign');
  const callers: RawCaller[] = [];
  const slow = new SlowService();
  let broker: BrokerNode;

  const caller = (): RawCaller => {
    const raw = new RawCaller(broker.frontend);
    raw.start();
    callers.push(raw);
    return raw;
  };

  beforeAll(async () => {
    broker = await cluster.startBroker();
    cluster.worker({ service: 'slow', capacity: SLOW_CAPACITY, dispatch: slow.dispatch });
    await waitFor(async () => (await cluster.workersOf(broker, 'slow')).length === 1, {
      timeoutMs: 15_000,
      what: 'the slow worker to be listed',
    });
  });

  afterAll(async () => {
    await Promise.allSettled(callers.map((raw) => raw.close()));
    await cluster.close();
  });

  it('gets an answer to each of 300 pipelined calls without ever sending PING', async () => {
    const raw = caller();
    const before = await cluster.stats(broker);
    for (let n = 1; n <= PIPELINED; n += 1) {
      await raw.send({
        id: n,
        timeoutMs: CALL_TIMEOUT_MS,
        pattern: 'slow.work',
        body: Buffer.from(JSON.stringify({ n })),
      });
    }

    // The calls take twelve heartbeats to serve; the caller says nothing meanwhile.
    await waitFor(() => raw.finals().size === PIPELINED, {
      timeoutMs: CALL_TIMEOUT_MS + 5000,
      intervalMs: 50,
      what: `a final reply to all ${PIPELINED} calls (got ${raw.finals().size})`,
    }).catch((error: Error) => {
      throw new Error(`${error.message}: ${raw.finals().size} of ${PIPELINED} answered`);
    });

    const finals = raw.finals();
    expect([...finals.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: PIPELINED }, (_, i) => i + 1),
    );
    for (const [id, reply] of finals) {
      expect([id, reply.status, JSON.parse(reply.body.toString()) as unknown]).toEqual([
        id,
        STATUS.OK,
        { n: id },
      ]);
    }
    expect(raw.replies).toHaveLength(PIPELINED);
    expect(raw.others).toEqual([]);
    const after = await cluster.stats(broker);
    expect(after.counters.droppedForDeadClient - before.counters.droppedForDeadClient).toBe(0);
    expect(after.counters.undeliverableReplies - before.counters.undeliverableReplies).toBe(0);
    // Answered, it is forgotten like any silent peer: the broker keeps nothing for it.
    await waitFor(async () => (await cluster.stats(broker)).clients === before.clients, {
      timeoutMs: 60 * HEARTBEAT_MS,
      what: 'the silent caller to be forgotten once answered',
    });
  });

  it('receives MessagePack replies whose integer fields use msgpack int types', async () => {
    await cluster.startUserService({ brokers: [broker] });
    const raw = caller();
    const tag = randomBytes(4).toString('hex');
    await raw.send(
      {
        id: 1,
        timeoutMs: 10_000,
        codec: MSGPACK,
        pattern: UserRpc.guest.pattern,
        body: pack({ deviceId: `device-${tag}` }),
      },
      {
        id: 2,
        timeoutMs: 20_000,
        codec: MSGPACK,
        pattern: UserRpc.register.pattern,
        body: pack({ username: `mp_${tag}`, password: `password-${tag}`, nickname: 'Msgpack' }),
      },
    );
    await waitFor(() => raw.finals().size === 2, { timeoutMs: 20_000, what: 'both msgpack replies' });

    for (const [id, pattern] of [
      [1, UserRpc.guest.pattern],
      [2, UserRpc.register.pattern],
    ] as const) {
      const reply = raw.finals().get(id);
      expect([pattern, reply?.status, reply?.codec]).toEqual([pattern, STATUS.OK, MSGPACK]);
      const numbers = wireNumbers(reply!.body);
      const wanted = integerPaths(responseSchema(pattern));
      // expiresAt (and createdAt) are epoch milliseconds: past 32 bits, where float 64 crept in.
      expect(wanted).toContain('expiresAt');
      for (const path of wanted) {
        const number = numbers.find((n) => n.path === path);
        if (number === undefined) continue; // an optional or null field
        expect({ path, type: number.type, integral: Number.isInteger(number.value) }).toEqual({
          path,
          type: 'int',
          integral: true,
        });
      }
      expect(numbers.find((n) => n.path === 'expiresAt')!.value).toBeGreaterThan(2 ** 32);
    }
  });

  it('counts a pattern that is not valid UTF-8 as malformed and dispatches nothing of it', async () => {
    const raw = caller();
    const before = await cluster.stats(broker);
    const seen = slow.patterns.length;
    const bad = Buffer.concat([Buffer.from('slow.'), Buffer.from([0xff, 0xfe, 0x77])]);
    await raw.sendMetas([
      [
        rawRequestMeta({ id: 66, timeoutMs: 5000, pattern: bad, body: Buffer.alloc(0) }),
        Buffer.from('{"n":66}'),
      ],
    ]);
    // Messages of one connection are read in order: once this one is answered, the bad one was handled.
    await raw.send({ id: 67, timeoutMs: 5000, pattern: 'slow.work', body: Buffer.from('{"n":67}') });
    await waitFor(() => raw.finals().has(67), { timeoutMs: 10_000, what: 'the reply to the valid call' });

    expect([...raw.finals().keys()]).toEqual([67]);
    expect(slow.patterns.slice(seen)).toEqual(['slow.work']);
    const after = await cluster.stats(broker);
    expect(after.counters.malformedFrontend - before.counters.malformedFrontend).toBe(1);
    expect(after.counters.malformed - before.counters.malformed).toBe(1);
    expect(after.counters.requests - before.counters.requests).toBe(1);
  });
});
