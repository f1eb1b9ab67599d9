import { defineRpc, ErrorCode, RpcContract, RpcError, RpcRequest, RpcResponse } from '@live-im/contracts';
import { RequestContext } from '@live-im/logging';
import {
  CallHandler,
  CanActivate,
  Controller,
  ExecutionContext,
  INestMicroservice,
  Module,
  NestInterceptor,
  PipeTransform,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { map, Observable, of } from 'rxjs';
import { z } from 'zod';
import { ScriptedRouter } from '../__tests__/scripted-router';
import { JsonCodec } from '../protocol/codec';
import { Command, ReplyStatus, RequestFlag } from '../protocol/command';
import { decodeReplyMeta, encodeRequestMeta, ReplyMeta } from '../protocol/frames';
import { RpcHandler } from './rpc-handler.decorator';
import { ZmqContext } from './zmq.context';
import { ZmqServer } from './zmq.server';

const Greet = defineRpc({
  pattern: 'test.greet',
  description: 'greets',
  request: z.object({ name: z.string().min(2), times: z.number().int().default(1) }).strict(),
  response: z.object({ greeting: z.string() }),
  idempotent: true,
});
const Count = defineRpc({
  pattern: 'test.count',
  description: 'streams 1..to',
  request: z.object({ to: z.number().int().positive() }),
  response: z.number(),
  idempotent: true,
});
const Fail = defineRpc({
  pattern: 'test.fail',
  description: 'fails as asked',
  request: z.object({ how: z.enum(['rpc-error', 'rpc-exception', 'crash']) }),
  response: z.null(),
  idempotent: false,
});
const Shout = defineRpc({
  pattern: 'test.shout',
  description: 'answers with its word, its trace id and the current request id',
  request: z.object({ word: z.string() }),
  response: z.object({ word: z.string(), traceId: z.string(), current: z.string().optional() }),
  idempotent: true,
});
const ShoutPiped = defineRpc({ ...Shout, pattern: 'test.shoutPiped' });
const CONTRACTS = new Map<string, RpcContract>(
  [Greet, Count, Fail, Shout, ShoutPiped].map((c) => [c.pattern, c]),
);

/** Lets a request through only if its word is not "closed". */
class WordGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.switchToRpc().getData<{ word: string }>().word === 'closed')
      throw new RpcError(ErrorCode.FORBIDDEN, 'closed');
    return true;
  }
}

/** Adds "!" to the word of whatever the handler answers. */
class BangInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler<{ word: string }>): Observable<{ word: string }> {
    return next.handle().pipe(map((reply) => ({ ...reply, word: `${reply.word}!` })));
  }
}

/** Upper-cases the word of the payload it is given. */
class UpperPipe implements PipeTransform<{ word: string }> {
  transform(value: { word: string }): { word: string } {
    return { ...value, word: value.word.toUpperCase() };
  }
}

const seenEvents: unknown[] = [];

@Controller()
class TestController {
  @RpcHandler(Greet)
  greet(req: RpcRequest<typeof Greet>): Promise<RpcResponse<typeof Greet>> {
    return Promise.resolve({ greeting: `hello ${req.name} x${req.times}` });
  }

  @RpcHandler(Count)
  count(req: RpcRequest<typeof Count>): Observable<number> {
    return of(...Array.from({ length: req.to }, (_, i) => i + 1));
  }

  @RpcHandler(Fail)
  fail(req: RpcRequest<typeof Fail>): null {
    if (req.how === 'rpc-error') throw new RpcError(ErrorCode.FORBIDDEN, 'not yours');
    if (req.how === 'rpc-exception') throw new RpcException({ code: 'NOT_FOUND', message: 'gone' });
    throw new Error('secret connection string');
  }

  // No parameter decorators: the transport hands over (validated request, ZmqContext) directly.
  @RpcHandler(Shout)
  @UseGuards(WordGuard)
  @UseInterceptors(BangInterceptor)
  shout(req: RpcRequest<typeof Shout>, ctx: ZmqContext): RpcResponse<typeof Shout> {
    return { word: req.word, traceId: ctx.getTraceId(), current: RequestContext.currentId() };
  }

  // Decorated parameters keep Nest's parameter pipeline, pipes included.
  @RpcHandler(ShoutPiped)
  shoutPiped(
    @Payload(new UpperPipe()) req: RpcRequest<typeof Shout>,
    @Ctx() ctx: ZmqContext,
  ): RpcResponse<typeof Shout> {
    return { word: req.word, traceId: ctx.getTraceId() };
  }

  @MessagePattern('test.trace')
  trace(@Payload() _data: unknown, @Ctx() ctx: ZmqContext): { current: string | undefined; fromCtx: string } {
    return { current: RequestContext.currentId(), fromCtx: ctx.getTraceId() };
  }

  @EventPattern('test.happened')
  happened(data: unknown): void {
    seenEvents.push(data);
  }
}

@Module({ controllers: [TestController] })
class TestModule {}

interface Reply {
  meta: ReplyMeta;
  body: unknown;
}

describe('ZmqServer (Nest microservice)', () => {
  let broker: ScriptedRouter;
  let app: INestMicroservice;
  let server: ZmqServer;
  let peer: Buffer;
  let nextId = 1;

  beforeAll(async () => {
    broker = await ScriptedRouter.bind('tcp');
    server = new ZmqServer({
      brokers: [broker.endpoint],
      service: 'test',
      instance: 'test-1',
      version: '0.0.1',
      heartbeatMs: 50,
      contracts: CONTRACTS,
      drain: { ackTimeoutMs: 500 },
    });
    app = await NestFactory.createMicroservice(TestModule, { strategy: server, logger: false });
    await app.listen();
    peer = (await broker.next(Command.READY)).peer;
  });

  afterAll(async () => {
    await app.close();
    broker.close();
  });

  /** Sends one request and collects its replies up to the final one. */
  async function call(pattern: string, payload: unknown, flags = 0, traceId = 'trace-x'): Promise<Reply[]> {
    const id = nextId++;
    await broker.send(
      peer,
      Command.REQUEST,
      encodeRequestMeta({ id, timeoutMs: 2000, flags, codec: 0, pattern, traceId }),
      JsonCodec.encode(payload),
    );
    const replies: Reply[] = [];
    for (;;) {
      const { frames } = await broker.next(Command.REPLY);
      for (let i = 0; i < frames.length; i += 2) {
        const meta = decodeReplyMeta(frames[i]);
        expect(meta.id).toBe(id);
        replies.push({ meta, body: JsonCodec.decode(frames[i + 1]) });
        if (meta.status !== ReplyStatus.NEXT) return replies;
      }
    }
  }

  it('validates against the contract (defaults applied) and replies OK', async () => {
    const [reply] = await call('test.greet', { name: 'ada' });
    expect(reply).toEqual({
      meta: expect.objectContaining({ status: ReplyStatus.OK }),
      body: { greeting: 'hello ada x1' },
    });
  });

  it('refuses an invalid payload with INVALID_ARGUMENT naming the field, before the handler', async () => {
    const [reply] = await call('test.greet', { name: 'a' });
    expect(reply.meta.status).toBe(ReplyStatus.ERROR);
    expect(reply.body).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('name'),
      details: { fields: [expect.objectContaining({ field: 'name' })] },
    });
  });

  it('streams an Observable: NEXT values, the last one as the final OK', async () => {
    const replies = await call('test.count', { to: 3 });
    expect(replies.map((r) => [r.meta.status, r.body])).toEqual([
      [ReplyStatus.NEXT, 1],
      [ReplyStatus.NEXT, 2],
      [ReplyStatus.OK, 3],
    ]);
  });

  it('answers UNIMPLEMENTED for an unknown pattern', async () => {
    const [reply] = await call('test.nope', {});
    expect(reply.body).toMatchObject({ code: 'UNIMPLEMENTED' });
  });

  it('maps handler errors: RpcError and RpcException bodies keep their code, the rest is INTERNAL', async () => {
    expect((await call('test.fail', { how: 'rpc-error' }))[0].body).toEqual({
      code: 'FORBIDDEN',
      message: 'not yours',
    });
    expect((await call('test.fail', { how: 'rpc-exception' }))[0].body).toEqual({
      code: 'NOT_FOUND',
      message: 'gone',
    });
    const crash = (await call('test.fail', { how: 'crash' }))[0];
    expect(crash.body).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(JSON.stringify(crash.body)).not.toContain('secret');
  });

  it('runs handlers inside the request context of the trace id', async () => {
    const [reply] = await call('test.trace', {}, 0, 'abc-123');
    expect(reply.body).toEqual({ current: 'abc-123', fromCtx: 'abc-123' });
  });

  it('hands an undecorated @RpcHandler (request, context) directly; guards, interceptors and filters still run', async () => {
    const [ok] = await call('test.shout', { word: 'hi' }, 0, 'tr-1');
    expect(ok.body).toEqual({ word: 'hi!', traceId: 'tr-1', current: 'tr-1' });
    const [refused] = await call('test.shout', { word: 'closed' });
    expect(refused.body).toEqual({ code: 'FORBIDDEN', message: 'closed' });
    expect((await call('test.shout', { word: 7 }))[0].body).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('runs the pipes of decorated @RpcHandler parameters', async () => {
    const [reply] = await call('test.shoutPiped', { word: 'hi' }, 0, 'tr-2');
    expect(reply.body).toEqual({ word: 'HI', traceId: 'tr-2' });
  });

  it('runs event handlers and acknowledges events', async () => {
    const [ack] = await call('test.happened', { what: 'x' }, RequestFlag.EVENT);
    expect(ack.meta.status).toBe(ReplyStatus.OK);
    expect(seenEvents).toEqual([{ what: 'x' }]);
  });

  it('is a broker probe for health checks', async () => {
    await expect(server.ping(200)).resolves.toEqual({ live: 1, total: 1 });
    expect(server.unwrap()).toBeDefined();
  });
});
