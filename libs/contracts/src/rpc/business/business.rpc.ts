import { z } from 'zod';
import { defineRpc } from '../define-rpc';
import { Receipt } from '../room/room.schemas';
import { UserId } from '../user/user.schemas';

/**
 * Events room-service sends to the platform's business services. They are served by whatever
 * worker registers service `business`, which answers `{}`. room-service sends each as a call
 * (not a wire EVENT) so that a missing worker comes back SERVICE_UNAVAILABLE and is counted as
 * lost (`room_service_business_events_lost_total`); nothing waits for the answer.
 */
export const receipt = defineRpc({
  pattern: 'business.receipt',
  description: "One recipient's receipt for a requireAck message (delivered, or expired when never acked).",
  request: Receipt.extend({ senderId: UserId.nullable() }).strict(),
  response: z.object({}),
  idempotent: true,
});
