import { RpcContract, RpcRequestInput, RpcResponse } from '@live-im/contracts';
import { Injectable } from '@nestjs/common';
import { ZmqClient } from './zmq.client';

export interface RpcCallOptions {
  /** Overrides the contract's deadline. */
  timeoutMs?: number;
  /** Overrides the request id taken from the current request context. */
  traceId?: string;
  /** How long the request may wait to leave with other calls (RpcClient CallOptions.coalesceMs). */
  coalesceMs?: number;
}

/**
 * Typed calls over the broker: the contract fixes the payload and result types, the deadline
 * and whether the call may be re-sent. Rejects with an RpcError carrying the wire code.
 */
@Injectable()
export class RpcCaller {
  constructor(private readonly client: ZmqClient) {}

  call<C extends RpcContract>(
    contract: C,
    payload: RpcRequestInput<C>,
    options: RpcCallOptions = {},
  ): Promise<RpcResponse<C>> {
    // The worker validates requests and owns its responses' shape; no second parse here.
    return this.client.rpc.call(contract.pattern, payload, {
      timeoutMs: options.timeoutMs ?? contract.timeoutMs,
      idempotent: contract.idempotent,
      traceId: options.traceId,
      coalesceMs: options.coalesceMs,
    }) as Promise<RpcResponse<C>>;
  }
}
