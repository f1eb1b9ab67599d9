import {
  assertPairs,
  Command,
  expandPairs,
  FrameError,
  peekRequestMeta,
  readHeader,
  countBusAuth,
} from '@live-im/zmq-transport';
import { FRONTEND_ROLE, type BusAccess, type CallerAccess } from './bus-access';
import type { BrokerStats } from './broker-stats';
import type { Dispatcher, PeerOutbox, RequestHead } from './dispatcher';
import { expectFrames } from './frame-checks';

const STATS_ID_LENGTH = 4;

/**
 * Reads messages from the frontend ROUTER (clients): REQUEST, PING and STATS. A message of any other
 * shape is counted as malformed and dropped whole; nothing here throws.
 */
export class FrontendHandler {
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly out: PeerOutbox,
    private readonly stats: () => BrokerStats,
    /** While the broker drains, clients are told CLOSING instead of PONG, and after a request. */
    private readonly closing: () => boolean = () => false,
    /** The caller allow-list with the bus secured; null with it off (every caller may call anything). */
    private readonly access: BusAccess | null = null,
  ) {}

  /** `frames[0]` is the routing id the ROUTER prepended. */
  handle(frames: Buffer[], now: number): void {
    try {
      this.route(frames, now);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.dispatcher.counters.malformedFrontend += 1;
    }
  }

  private route(message: Buffer[], now: number): void {
    const command = readHeader(message[1]);
    const routingId = message[0];
    let caller: CallerAccess | undefined;
    if (this.access !== null) {
      caller = this.access.callerOf(routingId);
      if (caller === undefined) return;
    }
    let frames = message;
    switch (command) {
      case Command.REQUEST: {
        frames = expandPairs(message, 1);
        assertPairs(frames, 2);
        // Check every pair before acting on any: one bad pair drops the whole message.
        const heads: RequestHead[] = [];
        for (let i = 2; i < frames.length; i += 2) heads.push(peekRequestMeta(frames[i]));
        const client = this.dispatcher.clients.touch(routingId, routingId.toString('latin1'), now);
        for (let p = 0, i = 2; p < heads.length; p += 1, i += 2) {
          if (caller !== undefined && !caller.mayCall(patternOf(frames[i], heads[p].patternLen))) {
            countBusAuth(FRONTEND_ROLE, 'pattern_not_allowed');
            this.dispatcher.refuseRequest(client, heads[p], frames[i], now);
            continue;
          }
          this.dispatcher.acceptRequest(client, heads[p], frames[i], frames[i + 1], now);
        }
        // Sent before the client heard CLOSING: served, and the client is told again.
        if (this.closing()) this.out.pushMessage(routingId, Command.CLOSING);
        return;
      }
      case Command.PING:
        expectFrames(frames, 2);
        this.dispatcher.clients.touch(routingId, routingId.toString('latin1'), now);
        this.out.pushMessage(routingId, this.closing() ? Command.CLOSING : Command.PONG);
        return;
      case Command.STATS: {
        expectFrames(frames, 3);
        const requestId = frames[2];
        if (requestId.length !== STATS_ID_LENGTH) throw new FrameError('STATS request id must be 4 bytes');
        this.dispatcher.clients.touch(routingId, routingId.toString('latin1'), now);
        this.out.pushMessage(routingId, Command.STATS_REPLY, [
          requestId,
          Buffer.from(JSON.stringify(this.stats())),
        ]);
        return;
      }
      default:
        throw new FrameError(`command ${command} is not accepted from a client`);
    }
  }
}

/** The pattern of a request meta peekRequestMeta checked (UTF-8 at offset 11). */
function patternOf(meta: Buffer, patternLen: number): string {
  return meta.toString('utf8', 11, 11 + patternLen);
}
