import { Controller } from '@nestjs/common';
import { RoomRpc, RpcRequest, RpcResponse } from '@live-im/contracts';
import { RpcHandler } from '@live-im/zmq-transport';
import { ReceiptDesk } from './receipt-desk';

/** Gateways report receipts of requireAck messages here. */
@Controller()
export class ReceiptsController {
  constructor(private readonly desk: ReceiptDesk) {}

  @RpcHandler(RoomRpc.receipt)
  receipt(req: RpcRequest<typeof RoomRpc.receipt>): Promise<RpcResponse<typeof RoomRpc.receipt>> {
    return this.desk.record(req);
  }

  @RpcHandler(RoomRpc.receipts)
  receipts(req: RpcRequest<typeof RoomRpc.receipts>): Promise<RpcResponse<typeof RoomRpc.receipts>> {
    return this.desk.recordAll(req);
  }
}
