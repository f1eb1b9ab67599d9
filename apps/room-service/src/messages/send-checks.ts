import { ErrorCode, Lane, RpcError } from '@live-im/contracts';

/**
 * Lua run first by every script that sends on behalf of someone: the room must exist, a retried
 * clientMsgId gets its first result (even after a mute or a close: it was accepted then), the room
 * must be open, and the sender neither room-banned nor muted (entries whose time has passed are
 * ignored). Returns a refusal table, or nil and the room's epoch.
 *
 * The dedupe record stores the room's epoch (bumped by every reopen), so a record left from before
 * a reopen never matches: the new room's seqs start again from 1.
 */
export const SEND_CHECKS_LUA = `
local function checks(roomKey, bannedKey, mutedKey, dedupeKey, userId, now, dedupeTtl)
  local room = redis.call('HMGET', roomKey, 'status', 'epoch')
  if not room[1] then return {'NOT_FOUND'} end
  local epoch = room[2] or '0'
  if tonumber(dedupeTtl) > 0 then
    local prior = redis.call('GET', dedupeKey)
    if prior then
      local e, seq, lane, id = string.match(prior, '^(%S+) (%d+) (%a+) (%S+)$')
      if e == epoch then return {'DUPLICATE', seq, lane, id} end
    end
  end
  if room[1] ~= 'open' then return {'ROOM_CLOSED'} end
  local t = tonumber(now)
  local banned = redis.call('ZSCORE', bannedKey, userId)
  if banned and tonumber(banned) > t then return {'BANNED', banned} end
  local muted = redis.call('ZSCORE', mutedKey, userId)
  if muted and tonumber(muted) > t then return {'MUTED', muted} end
  return nil, epoch
end
`;

export type ScriptReply = readonly [string, ...Array<string | number>];

/** The first result of a clientMsgId; seq null when it was a targeted push (not in the room's lanes). */
export interface DedupeHit {
  messageId: string;
  lane: Lane;
  seq: number | null;
}

export function parseDedupeHit(reply: ScriptReply): DedupeHit | undefined {
  if (reply[0] !== 'DUPLICATE') return undefined;
  const seq = Number(reply[1]);
  return {
    seq: seq > 0 ? seq : null,
    lane: reply[2] === 'normal' ? 'normal' : 'important',
    messageId: String(reply[3]),
  };
}

/** The RpcError of a refusal from SEND_CHECKS_LUA. */
export function moderationError(reply: ScriptReply, roomId: string): RpcError {
  switch (reply[0]) {
    case 'NOT_FOUND':
      return new RpcError(ErrorCode.NOT_FOUND, `no room ${roomId}`);
    case 'ROOM_CLOSED':
      return new RpcError(ErrorCode.ROOM_CLOSED, `room ${roomId} is closed`);
    case 'BANNED':
      return new RpcError(ErrorCode.BANNED, `banned from room ${roomId}`, { bannedUntil: Number(reply[1]) });
    case 'MUTED':
      return new RpcError(ErrorCode.MUTED, `muted in room ${roomId}`, { mutedUntil: Number(reply[1]) });
    default:
      return new RpcError(ErrorCode.INTERNAL, 'unexpected reply from the send script');
  }
}
