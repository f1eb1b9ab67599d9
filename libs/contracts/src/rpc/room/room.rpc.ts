import { z } from 'zod';
import { readableText } from '../../messages/readable-text';
import { Lane } from '../../messages/room-message';
import { defineRpc } from '../define-rpc';
import { UserId } from '../user/user.schemas';
import {
  ClientMsgId,
  Gift,
  GiftId,
  LaneSeqs,
  MAX_ADMIT_USERS,
  OnlineInfo,
  MAX_RECEIPTS_PER_CALL,
  ReceiptReport,
  ReceiptStatus,
  ResumePoint,
  RoomId,
  RoomInfo,
} from './room.schemas';
import {
  Actor,
  Body,
  HistoryResult,
  LaneMessages,
  MAX_CHAT_CHARS,
  MAX_HISTORY_PAGE,
  SendResult,
} from './send.schemas';

export const create = defineRpc({
  pattern: 'room.create',
  description:
    'Open a room (or reopen a closed one, which starts its seqs and logs afresh). ALREADY_EXISTS when open.',
  request: z
    .object({
      roomId: RoomId,
      title: z.string().trim().min(1).max(128),
      ownerId: UserId,
    })
    .strict(),
  response: RoomInfo,
  idempotent: false,
});

export const get = defineRpc({
  pattern: 'room.get',
  description: 'A room by id; NOT_FOUND when unknown.',
  request: z.object({ roomId: RoomId }).strict(),
  response: RoomInfo,
  idempotent: true,
});

export const close = defineRpc({
  pattern: 'room.close',
  description:
    'Close a room: a room_closed system message on the important lane makes every member leave. Closing a closed room returns it unchanged.',
  request: z.object({ roomId: RoomId, reason: z.string().max(256).optional() }).strict(),
  response: RoomInfo,
  idempotent: true,
});

export const join = defineRpc({
  pattern: 'room.join',
  description:
    'Admission to a room: NOT_FOUND, ROOM_CLOSED, BANNED (room ban). Returns the latest seqs, the recent messages of both lanes and, with `resume`, what was missed since (important first, at most `limit` per lane; `complete` false means page on with room.history).',
  request: z
    .object({
      roomId: RoomId,
      userId: UserId,
      resume: ResumePoint.optional(),
    })
    .strict(),
  response: z.object({
    room: RoomInfo,
    seqs: LaneSeqs,
    recent: LaneMessages,
    missed: LaneMessages.extend({ complete: z.boolean() }).nullable(),
  }),
  idempotent: true,
});

export const admit = defineRpc({
  pattern: 'room.admit',
  description:
    'Admission of many users to one room at once, for a gateway that answers joins from its own cache: NOT_FOUND or ROOM_CLOSED for the room; the room, its latest seqs, and which of the users are banned (until when).',
  request: z
    .object({
      roomId: RoomId,
      userIds: z.array(UserId).min(1).max(MAX_ADMIT_USERS),
    })
    .strict(),
  response: z.object({
    room: RoomInfo,
    seqs: LaneSeqs,
    banned: z.array(z.object({ userId: UserId, bannedUntil: z.number().int() })),
  }),
  idempotent: true,
});

export const chat = defineRpc({
  pattern: 'room.chat',
  description:
    'Send danmaku chat on the normal lane. FORBIDDEN for guests, MUTED, BANNED, RATE_LIMITED, ROOM_CLOSED; the same clientMsgId returns the first seq.',
  request: z
    .object({
      roomId: RoomId,
      sender: Actor,
      text: readableText(MAX_CHAT_CHARS),
      clientMsgId: ClientMsgId,
    })
    .strict(),
  response: SendResult,
  // Deduplicated by clientMsgId, so the broker may safely send it again.
  idempotent: true,
});

export const gift = defineRpc({
  pattern: 'room.gift',
  description:
    'Send a gift from the catalogue on the important lane; errors as room.chat, NOT_FOUND for an unknown gift.',
  request: z
    .object({
      roomId: RoomId,
      sender: Actor,
      giftId: GiftId,
      count: z.number().int().min(1).max(999),
      clientMsgId: ClientMsgId,
    })
    .strict(),
  response: SendResult,
  idempotent: true,
});

export const gifts = defineRpc({
  pattern: 'room.gifts',
  description: 'The gift catalogue.',
  request: z.object({}).strict(),
  response: z.object({ gifts: z.array(Gift) }),
  idempotent: true,
});

export const like = defineRpc({
  pattern: 'room.like',
  description: 'Count likes; the room receives one aggregate like message per second, not one per like.',
  request: z.object({ roomId: RoomId, sender: Actor, count: z.number().int().min(1).max(100) }).strict(),
  response: z.object({ accepted: z.number().int().min(0) }),
  idempotent: false,
});

export const history = defineRpc({
  pattern: 'room.history',
  description:
    'Messages of one lane with seq > afterSeq, oldest first. `oldestSeq` is the oldest seq the log still holds (0 when empty): seqs below it are gone.',
  request: z
    .object({
      roomId: RoomId,
      lane: Lane,
      afterSeq: z.number().int().min(0),
      limit: z.number().int().min(1).max(MAX_HISTORY_PAGE).default(50),
    })
    .strict(),
  response: HistoryResult,
  idempotent: true,
});

export const push = defineRpc({
  pattern: 'room.push',
  description:
    "Business push into a room, room-wide or to listed users (`to`), on either lane. requireAck forces the important lane; each recipient's receipt (delivered or expired after ackTimeoutSec) goes to the sender and to business.receipts.",
  request: z
    .object({
      roomId: RoomId,
      lane: Lane.default('important'),
      type: z.enum(['system', 'signal', 'custom']).default('custom'),
      body: Body,
      to: z.array(UserId).min(1).max(1000).optional(),
      requireAck: z.boolean().default(false),
      ackTimeoutSec: z.number().int().min(1).max(3600).default(30),
      /** A user in the room sending a signal (co-host invite); the system when absent. */
      from: Actor.optional(),
      clientMsgId: ClientMsgId.optional(),
    })
    .strict(),
  response: z.object({
    messageId: z.string(),
    lane: Lane,
    /** The room lane's seq; null for a targeted push (it is not in the room's lanes). */
    seq: z.number().int().positive().nullable(),
    duplicate: z.boolean(),
  }),
  idempotent: false,
});

export const receipt = defineRpc({
  pattern: 'room.receipt',
  description:
    "A gateway reports one user's state for a requireAck message. The first report per user wins; it is sent to the message's sender and to business.receipts. Gateways send room.receipts.",
  request: z
    .object({
      messageId: z.string().min(1).max(64),
      roomId: RoomId,
      userId: UserId,
      status: ReceiptStatus,
    })
    .strict(),
  response: z.object({ recorded: z.boolean() }),
  idempotent: true,
});

export const receipts = defineRpc({
  pattern: 'room.receipts',
  description:
    "A gateway reports many users' states for requireAck messages at once (up to 500; room.receipt's rules per receipt). The recorded ones go to their senders and, as a batch, to business.receipts; counts come back: recorded, already final, unknown message.",
  request: z
    .object({
      receipts: z.array(ReceiptReport).min(1).max(MAX_RECEIPTS_PER_CALL),
    })
    .strict(),
  response: z.object({
    recorded: z.number().int().min(0),
    /** The user's receipt was final already (first report wins), or the user is no recipient. */
    final: z.number().int().min(0),
    /** No requireAck message with that id in that room (room.receipt answers NOT_FOUND). */
    unknown: z.number().int().min(0),
  }),
  idempotent: true,
});

const Moderation = z.object({ roomId: RoomId, userId: UserId }).strict();

export const mute = defineRpc({
  pattern: 'room.mute',
  description: 'Stop a user sending in a room, for durationSec or until unmuted.',
  request: Moderation.extend({
    durationSec: z
      .number()
      .int()
      .positive()
      .max(365 * 86400)
      .optional(),
  }),
  response: z.object({ roomId: RoomId, userId: UserId, mutedUntil: z.number().int() }),
  idempotent: true,
});

export const unmute = defineRpc({
  pattern: 'room.unmute',
  description: 'Lift a mute.',
  request: Moderation,
  response: z.object({ roomId: RoomId, userId: UserId, mutedUntil: z.null() }),
  idempotent: true,
});

export const ban = defineRpc({
  pattern: 'room.ban',
  description: 'Ban a user from a room (for durationSec or until unbanned) and kick them out of it.',
  request: Moderation.extend({
    reason: z.string().min(1).max(256),
    durationSec: z
      .number()
      .int()
      .positive()
      .max(365 * 86400)
      .optional(),
  }),
  response: z.object({ roomId: RoomId, userId: UserId, bannedUntil: z.number().int() }),
  idempotent: true,
});

export const unban = defineRpc({
  pattern: 'room.unban',
  description: 'Lift a room ban.',
  request: Moderation,
  response: z.object({ roomId: RoomId, userId: UserId, bannedUntil: z.null() }),
  idempotent: true,
});

export const kick = defineRpc({
  pattern: 'room.kick',
  description: 'Make a user leave a room now (they may join again unless banned).',
  request: Moderation.extend({ reason: z.string().min(1).max(256).default('kicked') }),
  response: z.object({ roomId: RoomId, userId: UserId }),
  idempotent: true,
});

export const stats = defineRpc({
  pattern: 'room.stats',
  description: 'A room with its presence figures, latest seqs and like total.',
  request: z.object({ roomId: RoomId }).strict(),
  response: z.object({
    room: RoomInfo,
    online: OnlineInfo,
    seqs: LaneSeqs,
    likes: z.number().int().min(0),
  }),
  idempotent: true,
});
