import { z } from 'zod';
import { defineRpc } from '../define-rpc';
import { BusinessReceipt, MAX_RECEIPTS_PER_CALL } from '../room/room.schemas';

/**
 * Events room-service sends to the platform's business services. They are served by whatever
 * worker registers service `business`, which answers `{}`. room-service sends each as a call
 * (not a wire EVENT) so that a missing worker comes back SERVICE_UNAVAILABLE and is counted as
 * lost (`room_service_business_events_lost_total`); nothing waits for the answer.
 */
export const receipts = defineRpc({
  pattern: 'business.receipts',
  description:
    "Recipients' receipts for requireAck messages, in batches of up to 500 (each delivered, or expired when never acked); (messageId, userId) identifies a receipt.",
  request: z.object({ receipts: z.array(BusinessReceipt).min(1).max(MAX_RECEIPTS_PER_CALL) }).strict(),
  response: z.object({}),
  idempotent: true,
});
