import { Controller } from '@nestjs/common';
import { RoomInfo, RoomRpc, RpcRequest, RpcResponse } from '@live-im/contracts';
import { RpcHandler } from '@live-im/zmq-transport';
import { RoomStats } from './room-stats';
import { RoomStore } from './room.store';

/** A room's lifecycle and figures over the broker. The transport has validated each request against its contract. */
@Controller()
export class RoomsController {
  constructor(
    private readonly rooms: RoomStore,
    private readonly figures: RoomStats,
  ) {}

  @RpcHandler(RoomRpc.create)
  create(req: RpcRequest<typeof RoomRpc.create>): Promise<RoomInfo> {
    return this.rooms.create(req);
  }

  @RpcHandler(RoomRpc.get)
  get(req: RpcRequest<typeof RoomRpc.get>): Promise<RoomInfo> {
    return this.rooms.get(req);
  }

  @RpcHandler(RoomRpc.close)
  close(req: RpcRequest<typeof RoomRpc.close>): Promise<RoomInfo> {
    return this.rooms.close(req);
  }

  @RpcHandler(RoomRpc.stats)
  stats(req: RpcRequest<typeof RoomRpc.stats>): Promise<RpcResponse<typeof RoomRpc.stats>> {
    return this.figures.stats(req);
  }
}
