import { Clock } from '@live-im/bootstrap';
import { ErrorCode, RoomRpc, RpcError, RpcRequest, RpcResponse } from '@live-im/contracts';
import { ReceiptReporter } from './receipt-reporter';
import { ReceiptStore } from './receipt-store';

/** room.receipt: a gateway reports one user's state for a requireAck message. */
export class ReceiptDesk {
  constructor(
    private readonly store: ReceiptStore,
    private readonly reporter: ReceiptReporter,
    private readonly clock: Clock,
  ) {}

  /** NOT_FOUND for a message with no receipt record; recorded false when this user's receipt is already final. */
  async record(req: RpcRequest<typeof RoomRpc.receipt>): Promise<RpcResponse<typeof RoomRpc.receipt>> {
    const { roomId, messageId, userId, status } = req;
    const outcome = await this.store.record(roomId, messageId, userId, status);
    if (outcome.kind === 'unknown') {
      throw new RpcError(ErrorCode.NOT_FOUND, `no requireAck message ${messageId} in room ${roomId}`);
    }
    if (outcome.kind !== 'recorded') return { recorded: false };
    await this.reporter.report({ messageId, roomId, userId, status, ts: this.clock.now() }, outcome.senderId);
    return { recorded: true };
  }
}
