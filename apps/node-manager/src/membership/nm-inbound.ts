import { BroadcastCommand, readBcastHeader } from '@live-im/broadcast';
import { DrainBody, HeartbeatBody, RegisterBody } from '@live-im/contracts';
import { z } from 'zod';
import type { MalformedReason } from './manager-counters';

/** The DRAIN body (contracts export only its schema). */
export type DrainRequest = z.infer<typeof DrainBody>;

/** GET_TOPOLOGY carries `{}`. */
const EmptyBody = z.object({}).strict();

/** An NM/1 message a member may send to the manager, its body validated. */
export type InboundMessage =
  | { command: typeof BroadcastCommand.REGISTER; body: RegisterBody }
  | { command: typeof BroadcastCommand.HEARTBEAT; body: HeartbeatBody }
  | { command: typeof BroadcastCommand.DRAIN; body: DrainRequest }
  | { command: typeof BroadcastCommand.GET_TOPOLOGY };

export interface Inbound {
  routingId: Buffer;
  message: InboundMessage;
}

/** A message that is dropped and counted under `reason`. */
export class MalformedMessage extends Error {
  constructor(
    readonly reason: MalformedReason,
    message: string,
  ) {
    super(message);
    this.name = 'MalformedMessage';
  }
}

/** Reads `[routingId, header, body]` off the ROUTER; throws MalformedMessage for anything else. */
export function parseInbound(frames: readonly Buffer[]): Inbound {
  if (frames.length !== 3)
    throw new MalformedMessage('frames', `expected header and body, got ${frames.length - 1} frames`);
  const [routingId, head, bodyFrame] = frames as [Buffer, Buffer, Buffer];
  let command: BroadcastCommand;
  try {
    command = readBcastHeader(head);
  } catch (error) {
    throw new MalformedMessage('header', error instanceof Error ? error.message : 'bad header');
  }
  switch (command) {
    case BroadcastCommand.REGISTER:
      return { routingId, message: { command, body: validate(RegisterBody, bodyFrame) } };
    case BroadcastCommand.HEARTBEAT:
      return { routingId, message: { command, body: validate(HeartbeatBody, bodyFrame) } };
    case BroadcastCommand.DRAIN:
      return { routingId, message: { command, body: validate(DrainBody, bodyFrame) } };
    case BroadcastCommand.GET_TOPOLOGY:
      validate(EmptyBody, bodyFrame);
      return { routingId, message: { command } };
    default:
      throw new MalformedMessage('direction', `command 0x${command.toString(16)} is not sent to the manager`);
  }
}

function validate<T>(schema: z.ZodType<T>, frame: Buffer): T {
  let json: unknown;
  try {
    json = JSON.parse(frame.toString('utf8'));
  } catch {
    throw new MalformedMessage('json', 'body is not JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new MalformedMessage('body', result.error.issues[0]?.message ?? 'invalid body');
  return result.data;
}
