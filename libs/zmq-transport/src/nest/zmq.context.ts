import { BaseRpcContext } from '@nestjs/microservices';
import { InboundRequest } from '../worker/inbound-request';

export type ZmqContextArgs = [pattern: string, traceId: string, request: InboundRequest];

/** What a handler may take as its second argument (`@Ctx() ctx: ZmqContext`). */
export class ZmqContext extends BaseRpcContext<ZmqContextArgs> {
  getPattern(): string {
    return this.args[0];
  }

  /** The request id of this call, as every log line of every hop shows it. */
  getTraceId(): string {
    return this.args[1];
  }

  /** The request itself: deadline, flags, and its reply writer for hand-made streams. */
  getRequest(): InboundRequest {
    return this.args[2];
  }
}
