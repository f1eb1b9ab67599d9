import { z } from 'zod';
import { defineRpc } from '../define-rpc';
import { Receipt } from '../room/room.schemas';
import { UserId } from '../user/user.schemas';

/**
 * Events room-service emits for the platform's business services. They are served by whatever
 * worker registers service `business`; room-service emits them and does not wait for an answer.
 */
export const receipt = defineRpc({
  pattern: 'business.receipt',
  description: 'One recipient\'s receipt for a requireAck message (delivered, or expired when never acked).',
  request: Receipt.extend({ senderId: UserId.nullable() }).strict(),
  response: z.object({}),
  idempotent: true,
});
