import { Controller } from '@nestjs/common';
import { RoomRpc, RpcRequest, RpcResponse } from '@live-im/contracts';
import { RpcHandler } from '@live-im/zmq-transport';
import { LikeAggregator } from './like-aggregator';

@Controller()
export class LikesController {
  constructor(private readonly likes: LikeAggregator) {}

  @RpcHandler(RoomRpc.like)
  like(req: RpcRequest<typeof RoomRpc.like>): Promise<RpcResponse<typeof RoomRpc.like>> {
    return this.likes.like(req);
  }
}
