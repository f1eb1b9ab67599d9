import { Logger } from '@nestjs/common';
import { BusinessRpc, RpcRequest } from '@live-im/contracts';
import { ZmqClient } from '@live-im/zmq-transport';
import { RoomMetrics } from '../metrics/room-metrics';

export type BusinessReceipt = RpcRequest<typeof BusinessRpc.receipt>;

/** Events for the platform's business services; fire and forget. */
export interface BusinessEvents {
  receipt(event: BusinessReceipt): void;
}

export const BUSINESS_EVENTS = Symbol('BUSINESS_EVENTS');

/**
 * BusinessEvents as RPC events through the brokers. Nobody waits for them: a missing business
 * worker or broker costs a counted failure, never a failed receipt.
 */
export class BrokerBusinessEvents implements BusinessEvents {
  private readonly logger = new Logger(BrokerBusinessEvents.name);

  constructor(
    private readonly client: ZmqClient,
    private readonly metrics: RoomMetrics,
  ) {}

  receipt(event: BusinessReceipt): void {
    this.client.emit(BusinessRpc.receipt.pattern, event).subscribe({
      error: (error: unknown) => {
        this.metrics.businessEmitFailed();
        this.logger.warn(
          `business.receipt for ${event.messageId} not sent: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    });
  }
}
