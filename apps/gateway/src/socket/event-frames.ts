/**
 * Socket.IO events as the final bytes of their WebSocket frames, built once per gateway and
 * written as they are to every websocket that gets them (socket-writer.ts). The layers, each the
 * one Socket.IO's own emit produces for a plain (non-binary) event on the main namespace:
 * - socket.io packet: EVENT "2" followed by JSON.stringify([event, ...args]);
 * - engine.io packet: MESSAGE "4" followed by that;
 * - WebSocket frame (RFC 6455, server to client): FIN + text opcode, unmasked, the payload's
 *   length in 7, 7+16 or 7+64 bits, then the UTF-8 payload (perMessageDeflate is off).
 * JSON.stringify escapes lone surrogates, so the text is always well-formed UTF-8.
 * event-frames.spec.ts checks the bytes against what socket.io, engine.io and ws write.
 */

import type { ServerToClientEvents } from '@live-im/contracts';

/** One event of a room-wide write, its frame built on first use and shared from then on. */
export class OutEvent {
  private frameBytes: Buffer | undefined;

  private constructor(
    readonly event: keyof ServerToClientEvents,
    readonly args: readonly unknown[],
  ) {}

  static of<E extends keyof ServerToClientEvents>(
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): OutEvent {
    return new OutEvent(event, args);
  }

  /** The event's WebSocket frame. */
  get frame(): Buffer {
    return (this.frameBytes ??= eventFrame(this.event, this.args));
  }
}

/**
 * Events that leave for a socket together, in order: their frames back to back in one buffer, so
 * that one write call carries them. Built once and shared by every socket that gets this set.
 */
export class FrameSet {
  private bytes: Buffer | undefined;

  constructor(readonly events: readonly OutEvent[]) {}

  get buffer(): Buffer {
    if (this.bytes === undefined) {
      const frames = this.events.map((event) => event.frame);
      this.bytes = frames.length === 1 ? frames[0] : Buffer.concat(frames);
    }
    return this.bytes;
  }
}

/** engine.io MESSAGE, then socket.io EVENT on the main namespace, without an ack id. */
const EVENT_PREFIX = '42';
const FIN_TEXT = 0x81;

/** The WebSocket frame carrying `emit(event, ...args)`. */
export function eventFrame(event: string, args: readonly unknown[]): Buffer {
  return textFrame(EVENT_PREFIX + JSON.stringify([event, ...args]));
}

/** An unmasked, final text frame holding `text`. */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text, 'utf8');
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = FIN_TEXT;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
  frame.write(text, header, 'utf8');
  return frame;
}
