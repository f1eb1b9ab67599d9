import {
  assertPairs,
  Command,
  decodeReplyMeta,
  expandPairs,
  FrameError,
  readHeader,
  type ReplyMeta,
  countBusAuth,
} from '@live-im/zmq-transport';
import { BACKEND_ROLE, type BusAccess } from './bus-access';
import type { Dispatcher, PeerOutbox } from './dispatcher';
import { expectFrames } from './frame-checks';
import { parseWorkerAnnouncement } from './worker-announcement';

/**
 * Reads messages from the backend ROUTER (workers): REPLY, PING, READY, DRAIN and DISCONNECT. A
 * message of any other shape is counted as malformed and dropped whole; nothing here throws.
 */
export class BackendHandler {
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly out: PeerOutbox,
    /** The worker allow-list with the bus secured; null with it off (any worker may serve anything). */
    private readonly access: BusAccess | null = null,
    private readonly onRefusedWorker: (worker: string, service: string) => void = () => undefined,
  ) {}

  /** `frames[0]` is the routing id the ROUTER prepended. */
  handle(frames: Buffer[], now: number): void {
    try {
      this.route(frames, now);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.dispatcher.counters.malformedBackend += 1;
    }
  }

  private route(message: Buffer[], now: number): void {
    const command = readHeader(message[1]);
    const routingId = message[0];
    const key = routingId.toString('latin1');
    let frames = message;
    switch (command) {
      case Command.REPLY: {
        frames = expandPairs(message, 1);
        assertPairs(frames, 2);
        const replies: ReplyMeta[] = [];
        for (let i = 2; i < frames.length; i += 2) replies.push(decodeReplyMeta(frames[i]));
        const worker = this.dispatcher.workers.get(key);
        if (!worker) {
          // A worker we declared dead: what it held has been re-dispatched or failed already.
          this.dispatcher.counters.staleReplies += replies.length;
          return;
        }
        worker.lastSeen = now;
        for (let p = 0, i = 2; p < replies.length; p += 1, i += 2) {
          this.dispatcher.acceptReply(worker, replies[p], frames[i], frames[i + 1]);
        }
        // Once per message, not per reply: the freed credit is spread over the whole batch.
        const service = this.dispatcher.workers.service(worker.service);
        if (service) this.dispatcher.dispatchWaiting(service, now);
        return;
      }
      case Command.PING: {
        expectFrames(frames, 2);
        const worker = this.dispatcher.workers.get(key);
        if (worker) {
          worker.lastSeen = now;
          this.out.pushMessage(routingId, Command.PONG);
        } else {
          this.out.pushMessage(routingId, Command.UNKNOWN_PEER);
        }
        return;
      }
      case Command.READY: {
        expectFrames(frames, 3);
        const announcement = parseWorkerAnnouncement(frames[2]);
        if (this.access !== null) {
          // Registration is the one door to requests: a key never serves a service not listed for it.
          const worker = this.access.workerOf(routingId);
          if (worker === undefined) return;
          if (!worker.services.has(announcement.service)) {
            countBusAuth(BACKEND_ROLE, 'service_not_allowed');
            this.onRefusedWorker(worker.name, announcement.service);
            return;
          }
        }
        this.dispatcher.registerWorker(routingId, key, announcement, now);
        return;
      }
      case Command.DRAIN: {
        expectFrames(frames, 2);
        const worker = this.dispatcher.workers.get(key);
        if (worker) {
          worker.lastSeen = now;
          this.dispatcher.drainWorker(worker);
        }
        // Acknowledged even when unknown: the worker waits for every broker's DRAIN_ACK, and an
        // unknown worker gets nothing from us anyway.
        this.out.pushMessage(routingId, Command.DRAIN_ACK);
        return;
      }
      case Command.DISCONNECT: {
        expectFrames(frames, 2);
        const worker = this.dispatcher.workers.get(key);
        if (worker) this.dispatcher.removeWorker(worker, 'disconnect', now);
        return;
      }
      default:
        throw new FrameError(`command ${command} is not accepted from a worker`);
    }
  }
}
