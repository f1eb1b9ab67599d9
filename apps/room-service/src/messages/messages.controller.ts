import { Controller } from '@nestjs/common';
import { HistoryResult, RoomRpc, RpcRequest, RpcResponse, SendResult } from '@live-im/contracts';
import { RpcHandler } from '@live-im/zmq-transport';
import { GiftCatalogue } from '../gifts/gift-catalogue';
import { MemberSends } from './member-sends';
import { RoomLog } from './room-log';
import { RoomPush } from './room-push';

/** Joining, reading and writing a room's messages over the broker; requests arrive validated. */
@Controller()
export class MessagesController {
  constructor(
    private readonly log: RoomLog,
    private readonly sends: MemberSends,
    private readonly pushes: RoomPush,
    private readonly catalogue: GiftCatalogue,
  ) {}

  @RpcHandler(RoomRpc.join)
  join(req: RpcRequest<typeof RoomRpc.join>): Promise<RpcResponse<typeof RoomRpc.join>> {
    return this.log.join(req);
  }

  @RpcHandler(RoomRpc.admit)
  admit(req: RpcRequest<typeof RoomRpc.admit>): Promise<RpcResponse<typeof RoomRpc.admit>> {
    return this.log.admit(req);
  }

  @RpcHandler(RoomRpc.history)
  history(req: RpcRequest<typeof RoomRpc.history>): Promise<HistoryResult> {
    return this.log.history(req);
  }

  @RpcHandler(RoomRpc.chat)
  chat(req: RpcRequest<typeof RoomRpc.chat>): Promise<SendResult> {
    return this.sends.chat(req);
  }

  @RpcHandler(RoomRpc.gift)
  gift(req: RpcRequest<typeof RoomRpc.gift>): Promise<SendResult> {
    return this.sends.gift(req);
  }

  @RpcHandler(RoomRpc.gifts)
  gifts(): RpcResponse<typeof RoomRpc.gifts> {
    return { gifts: this.catalogue.list() };
  }

  @RpcHandler(RoomRpc.push)
  push(req: RpcRequest<typeof RoomRpc.push>): Promise<RpcResponse<typeof RoomRpc.push>> {
    return this.pushes.push(req);
  }
}
