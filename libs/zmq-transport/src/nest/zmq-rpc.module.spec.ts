import { defineRpc, RpcContract, RpcRequest } from '@live-im/contracts';
import { Test, TestingModule } from '@nestjs/testing';
import { firstValueFrom, toArray } from 'rxjs';
import { z } from 'zod';
import { ScriptedRouter } from '../__tests__/scripted-router';
import { ZmqHealthIndicator } from '../health/zmq.health';
import { JsonCodec } from '../protocol/codec';
import { CodecId, Command, ReplyStatus, RequestFlag } from '../protocol/command';
import { decodeRequestMeta, encodeReplyMeta, RequestMeta } from '../protocol/frames';
import { SILENT_LOGGER } from '../socket/transport-logger';
import { RpcCaller } from './rpc-caller';
import { RpcHandler } from './rpc-handler.decorator';
import { ZmqRpcModule } from './zmq-rpc.module';
import { ZmqClient } from './zmq.client';

const Lookup = defineRpc({
  pattern: 'test.lookup',
  description: 'finds',
  request: z.object({ key: z.string() }),
  response: z.object({ value: z.number() }),
  idempotent: true,
  timeoutMs: 1234,
});

/** Answers the next request with `value` (or NEXT values then END when given a list). */
async function answer(broker: ScriptedRouter, value: unknown, stream?: unknown[]): Promise<RequestMeta> {
  const { peer, frames } = await broker.next(Command.REQUEST);
  const meta = decodeRequestMeta(frames[0]);
  if (stream) {
    const nexts = stream.flatMap((v) => [
      encodeReplyMeta(meta.id, ReplyStatus.NEXT, CodecId.JSON),
      JsonCodec.encode(v),
    ]);
    await broker.send(
      peer,
      Command.REPLY,
      ...nexts,
      encodeReplyMeta(meta.id, ReplyStatus.END, CodecId.JSON),
      Buffer.alloc(0),
    );
  } else {
    await broker.send(
      peer,
      Command.REPLY,
      encodeReplyMeta(meta.id, ReplyStatus.OK, CodecId.JSON),
      JsonCodec.encode(value),
    );
  }
  return meta;
}

describe('ZmqRpcModule', () => {
  let broker: ScriptedRouter;
  let moduleRef: TestingModule;

  beforeAll(async () => {
    broker = await ScriptedRouter.bind('tcp');
    moduleRef = await Test.createTestingModule({
      imports: [
        ZmqRpcModule.forRoot({
          brokers: [broker.endpoint],
          heartbeatMs: 50,
          contracts: new Map<string, RpcContract>([[Lookup.pattern, Lookup]]),
          logger: SILENT_LOGGER,
        }),
      ],
    }).compile();
  });

  afterAll(async () => {
    await moduleRef.close();
    broker.close();
  });

  it('RpcCaller calls with the contract deadline and idempotency', async () => {
    const caller = moduleRef.get(RpcCaller);
    const result = caller.call(Lookup, { key: 'k' });
    const meta = await answer(broker, { value: 42 });
    expect(meta.pattern).toBe('test.lookup');
    expect(meta.flags & RequestFlag.IDEMPOTENT).toBe(RequestFlag.IDEMPOTENT);
    expect(meta.timeoutMs).toBeLessThanOrEqual(1234);
    expect(meta.timeoutMs).toBeGreaterThan(1000);
    const typed: { value: number } = await result;
    expect(typed).toEqual({ value: 42 });
  });

  it('ZmqClient.send() streams through Nest observables; connect() is idempotent', async () => {
    const client = moduleRef.get(ZmqClient);
    const [a, b] = await Promise.all([client.connect(), client.connect()]);
    expect(a).toBe(b);
    const single = firstValueFrom(client.send<{ value: number }>('test.lookup', { key: 'x' }));
    await answer(broker, { value: 1 });
    await expect(single).resolves.toEqual({ value: 1 });
    const many = firstValueFrom(client.send<number>('test.lookup', { key: 'y' }).pipe(toArray()));
    await answer(broker, undefined, [1, 2, 3]);
    await expect(many).resolves.toEqual([1, 2, 3]);
  });

  it('ZmqHealthIndicator reports the broker up, then down when it stops answering', async () => {
    const health = moduleRef.get(ZmqHealthIndicator);
    await expect(health.check()).resolves.toEqual({ broker: { status: 'up', live: 1, total: 1 } });
    broker.autoPong = false;
    await expect(health.check('broker', 100)).resolves.toEqual({
      broker: { status: 'down', live: 0, total: 1 },
    });
    broker.autoPong = true;
  });
});

describe('@RpcHandler typing', () => {
  it('accepts handlers of the contract and rejects others at compile time', () => {
    class Handlers {
      @RpcHandler(Lookup)
      ok(req: RpcRequest<typeof Lookup>): { value: number } {
        return { value: req.key.length };
      }

      // @ts-expect-error the response misses `value`
      @RpcHandler(Lookup)
      wrongResponse(_req: RpcRequest<typeof Lookup>): { other: string } {
        return { other: 'x' };
      }

      // @ts-expect-error the request is not the contract's
      @RpcHandler(Lookup)
      wrongRequest(req: { id: number }): { value: number } {
        return { value: req.id };
      }
    }
    expect(new Handlers().ok({ key: 'abc' })).toEqual({ value: 3 });
  });
});
