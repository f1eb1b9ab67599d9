import { RpcContract, RpcRequest, RpcResponse } from '@live-im/contracts';
import { UseFilters } from '@nestjs/common';
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
  };
}
