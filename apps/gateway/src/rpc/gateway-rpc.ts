import { RpcError, type RpcContract, type RpcRequestInput, type RpcResponse } from '@live-im/contracts';
import { RpcCaller, type RpcCallOptions } from '@live-im/zmq-transport';
import { Injectable } from '@nestjs/common';
import { GatewayMetrics } from '../metrics/gateway-metrics';

/**
 * The gateway's RPC calls over the broker, timed per pattern and result code. The request id of
 * the current context (an HTTP request, a socket event) travels with each call.
 */
@Injectable()
export class GatewayRpc {
  constructor(
    private readonly caller: RpcCaller,
    private readonly metrics: GatewayMetrics,
  ) {}

  async call<C extends RpcContract>(
    contract: C,
    payload: RpcRequestInput<C>,
    options?: RpcCallOptions,
  ): Promise<RpcResponse<C>> {
    const done = this.metrics.rpcTimer(contract.pattern);
    try {
      const result = await this.caller.call(contract, payload, options);
      done('OK');
      return result;
    } catch (error) {
      done(RpcError.from(error).code);
      throw error;
    }
  }
}
