import { Controller } from '@nestjs/common';
import { RoomRpc, RpcRequest, RpcResponse } from '@live-im/contracts';
import { RpcHandler } from '@live-im/zmq-transport';
import { RoomModeration } from './room-moderation';

@Controller()
export class ModerationController {
  constructor(private readonly moderation: RoomModeration) {}

  @RpcHandler(RoomRpc.mute)
  mute(req: RpcRequest<typeof RoomRpc.mute>): Promise<RpcResponse<typeof RoomRpc.mute>> {
    return this.moderation.mute(req);
  }

  @RpcHandler(RoomRpc.unmute)
  unmute(req: RpcRequest<typeof RoomRpc.unmute>): Promise<RpcResponse<typeof RoomRpc.unmute>> {
    return this.moderation.unmute(req);
  }

  @RpcHandler(RoomRpc.ban)
  ban(req: RpcRequest<typeof RoomRpc.ban>): Promise<RpcResponse<typeof RoomRpc.ban>> {
    return this.moderation.ban(req);
  }

  @RpcHandler(RoomRpc.unban)
  unban(req: RpcRequest<typeof RoomRpc.unban>): Promise<RpcResponse<typeof RoomRpc.unban>> {
    return this.moderation.unban(req);
  }

  @RpcHandler(RoomRpc.kick)
  kick(req: RpcRequest<typeof RoomRpc.kick>): Promise<RpcResponse<typeof RoomRpc.kick>> {
    return this.moderation.kick(req);
  }
}
