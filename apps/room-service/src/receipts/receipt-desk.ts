import { Clock } from '@live-im/bootstrap';
import { ErrorCode, RoomRpc, RpcError, RpcRequest, RpcResponse } from '@live-im/contracts';
import { RecordedReceipt, ReceiptReporter } from './receipt-reporter';
import { ReceiptStore } from './receipt-store';

/** room.receipt and room.receipts: gateways report users' states for requireAck messages. */
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

  /**
   * A batch of reports, each recorded as room.receipt records one; the recorded ones are reported
   * together (one business batch). Answers how many were recorded, already final, unknown.
   */
  async recordAll(req: RpcRequest<typeof RoomRpc.receipts>): Promise<RpcResponse<typeof RoomRpc.receipts>> {
    const ts = this.clock.now();
    const outcomes = await Promise.all(
      req.receipts.map(({ roomId, messageId, userId, status }) =>
        this.store.record(roomId, messageId, userId, status),
      ),
    );
    const recorded: RecordedReceipt[] = [];
    let unknown = 0;
    outcomes.forEach((outcome, i) => {
      if (outcome.kind === 'recorded')
        recorded.push({ receipt: { ...req.receipts[i], ts }, senderId: outcome.senderId });
      else if (outcome.kind === 'unknown') unknown += 1;
    });
    await this.reporter.reportAll(recorded);
    return { recorded: recorded.length, final: outcomes.length - recorded.length - unknown, unknown };
  }
}
