import type { KickedEvent, OnlineInfo, Receipt, RoomMessage } from '@live-im/contracts';
import type { GapEvent } from './lane-cursor';
import { TypedEmitter } from './typed-emitter';

/** Why a room ended for this client without it leaving: the room closed, or it cannot be rejoined. */
export interface RoomClosedEvent {
  roomId: string;
  reason: string;
  /** The contract code when a rejoin was refused (ROOM_CLOSED, NOT_FOUND, FORBIDDEN...). */
  code?: string;
}

type MessageListener = (message: RoomMessage) => void;

/** The events of one joined room. */
export type RoomEventMap = {
  /** Every message of the room once, each lane in seq order (both lanes interleave as they come). */
  message: MessageListener;
  chat: MessageListener;
  gift: MessageListener;
  like: MessageListener;
  system: MessageListener;
  signal: MessageListener;
  custom: MessageListener;
  online: (online: OnlineInfo) => void;
  receipt: (receipt: Receipt) => void;
  /** This user was removed from the room (kick or room ban); the handle is finished. */
  kicked: (event: KickedEvent) => void;
  /** The room closed (or refused a rejoin); the handle is finished. */
  closed: (event: RoomClosedEvent) => void;
  /** Seqs that did not arrive live; `recovered` false when history could not give them all. */
  gap: (gap: GapEvent) => void;
};

/** The room's emitter, whose `emit` the SDK's own room session calls. */
export class RoomEmitter extends TypedEmitter<RoomEventMap> {
  fire<E extends keyof RoomEventMap>(event: E, ...args: Parameters<RoomEventMap[E]>): void {
    this.emit(event, ...args);
  }

  clear(): void {
    this.removeAllListeners();
  }
}
