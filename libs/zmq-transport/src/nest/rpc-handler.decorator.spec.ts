import 'reflect-metadata';
import { defineRpc, RpcRequest, RpcResponse } from '@live-im/contracts';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { Ctx, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { RpcHandler } from './rpc-handler.decorator';
import { ZmqContext } from './zmq.context';

const Echo = defineRpc({
  pattern: 'test.echo',
  description: 'echo',
  request: z.object({ word: z.string() }),
  response: z.object({ word: z.string() }),
  idempotent: true,
});

class Handlers {
  @RpcHandler(Echo)
  plain(req: RpcRequest<typeof Echo>, _ctx: ZmqContext): RpcResponse<typeof Echo> {
    return req;
  }

  @RpcHandler(Echo)
  decorated(@Payload() req: RpcRequest<typeof Echo>, @Ctx() _ctx: ZmqContext): RpcResponse<typeof Echo> {
    return req;
  }
}

describe('@RpcHandler parameter metadata', () => {
  it('declares no decorated parameters for a plain method, so Nest builds no parameter pipeline', () => {
    // Nest reads missing metadata as @Payload() at 0 and @Ctx() at 1, each awaited through pipes.
    expect(Reflect.getMetadata(ROUTE_ARGS_METADATA, Handlers, 'plain')).toEqual({});
  });

  it('keeps the parameter decorators a method has', () => {
    expect(
      Object.keys(Reflect.getMetadata(ROUTE_ARGS_METADATA, Handlers, 'decorated') as object),
    ).toHaveLength(2);
  });
});
