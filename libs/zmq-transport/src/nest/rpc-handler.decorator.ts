import { RpcContract, RpcRequest, RpcResponse } from '@live-im/contracts';
import { UseFilters } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { MessagePattern } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { RpcErrorFilter } from './rpc-error.filter';

/** The shape a handler of contract C must have: validated request in, contract response out. */
export type RpcHandlerMethod<C extends RpcContract> = (
  req: RpcRequest<C>,
  // never[]: further parameters (a ZmqContext, say) may have any type.
  ...rest: never[]
) => RpcResponse<C> | Promise<RpcResponse<C>> | Observable<RpcResponse<C>>;

/**
 * `@MessagePattern(contract.pattern)` that type-checks the method against the contract and keeps
 * RpcErrors' codes (RpcErrorFilter). The transport validates the request before the call.
 *
 * A method with no parameter decorators gets the validated request and the ZmqContext as its
 * arguments directly, as `@Payload() req, @Ctx() ctx` would give them, but without Nest's
 * parameter pipeline: that pipeline awaits each parameter's (here empty) pipes, ten promises or so
 * per call, each paying Node 20's AsyncLocalStorage hooks (the request id) — a quarter of a
 * trivial handler's CPU in bench/rpc. Guards, interceptors and filters run as usual; a method
 * that wants pipes decorates its parameters (`@Payload(new SomePipe())`) and gets them.
 */
export function RpcHandler<C extends RpcContract>(contract: C) {
  const pattern = MessagePattern(contract.pattern);
  const filters = UseFilters(new RpcErrorFilter());
  return <M extends RpcHandlerMethod<C>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    pattern(target, key, descriptor);
    filters(target, key, descriptor);
    // Parameter decorators run before method decorators, so theirs is already here if any.
    if (Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, key) === undefined) {
      Reflect.defineMetadata(ROUTE_ARGS_METADATA, NO_DECORATED_PARAMS, target.constructor, key);
    }
  };
}

/** Nest reads "no parameter metadata" as @Payload() at 0 and @Ctx() at 1, with pipes; this is none. */
const NO_DECORATED_PARAMS = Object.freeze({});
