import { RoomRpc, RpcRequest, SendResult } from '@live-im/contracts';
import { GiftCatalogue } from '../gifts/gift-catalogue';
import { SendPipeline } from './send-pipeline';

/** What room members send themselves: danmaku chat (normal lane) and gifts (important lane). */
export class MemberSends {
  constructor(
    private readonly pipeline: SendPipeline,
    private readonly gifts: GiftCatalogue,
  ) {}

  chat(req: RpcRequest<typeof RoomRpc.chat>): Promise<SendResult> {
    return this.pipeline.send({
      roomId: req.roomId,
      lane: 'normal',
      type: 'chat',
      body: { text: req.text },
      actor: req.sender,
      clientMsgId: req.clientMsgId,
    });
  }

  /** NOT_FOUND for a gift the catalogue does not hold. */
  async gift(req: RpcRequest<typeof RoomRpc.gift>): Promise<SendResult> {
    const gift = this.gifts.get(req.giftId);
    return this.pipeline.send({
      roomId: req.roomId,
      lane: 'important',
      type: 'gift',
      body: {
        giftId: gift.giftId,
        name: gift.name,
        count: req.count,
        animation: gift.animation,
        price: gift.price,
      },
      actor: req.sender,
      clientMsgId: req.clientMsgId,
    });
  }
}
