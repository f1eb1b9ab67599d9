import { RoomSubscriber } from '@live-im/broadcast';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { RoomFeed } from './cache/room-feed';
import { BatchFanout } from './delivery/batch-fanout';
import { PresenceLoop } from './delivery/presence-loop';
import { ReceiptService } from './delivery/receipt-service';
import { RoomMembership } from './delivery/room-membership';
import { ClientEventHandler } from './events/client-event.handler';
import { errorFields, GATEWAY_LOGGER, type GatewayLogger } from './gateway.tokens';
import { trackBroadcastLosses } from './metrics/broadcast-loss-metrics';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { HandshakeAuthenticator } from './socket/handshake';
import { SessionRegistry } from './socket/session-registry';
import { transportOf } from './socket/engine-internals';
import { SocketConnections } from './socket/socket-connections';
import { SocketServerHost } from './socket/socket-server.host';

/** How long pending receipts' expired reports get to reach the broker at shutdown. */
const RECEIPT_REPORT_GRACE_MS = 1000;

/**
 * Start and stop in one place, so their order is plain. Start: Socket.IO onto the HTTP server
 * (module init, before listen), then the broadcast subscriber and the presence rounds. Stop
 * (module destroy, which Nest runs before the global RPC and Redis modules close): refuse new
 * connections, withdraw presence, drop every connection so clients reconnect elsewhere, report
 * pending receipts, close the subscriber.
 */
@Injectable()
export class GatewayLifecycle implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly host: SocketServerHost,
    private readonly connections: SocketConnections,
    private readonly membership: RoomMembership,
    private readonly events: ClientEventHandler,
    private readonly handshake: HandshakeAuthenticator,
    private readonly subscriber: RoomSubscriber,
    private readonly fanout: BatchFanout,
    private readonly feed: RoomFeed,
    private readonly presence: PresenceLoop,
    private readonly receipts: ReceiptService,
    private readonly registry: SessionRegistry,
    metrics: GatewayMetrics,
    @Inject(GATEWAY_LOGGER) private readonly log: GatewayLogger,
  ) {
    metrics.trackGauges({
      connectionsByTransport: () => {
        const counts: Record<string, number> = {};
        for (const session of this.registry.all()) {
          const transport = transportOf(session.socket);
          counts[transport] = (counts[transport] ?? 0) + 1;
        }
        return counts;
      },
      connectionLimit: () => this.handshake.ledger.maxConnections,
      acceptingConnections: () => this.handshake.ledger.accepting,
      timesFull: () => this.handshake.ledger.timesFull,
      rooms: () => this.registry.roomCount,
      pendingReceipts: () => this.receipts.pending,
      queuedReceipts: () => this.receipts.queued,
      fanout: () => this.fanout.stats,
      subscriber: () => this.subscriber.stats,
    });
    trackBroadcastLosses(subscriber);
  }

  /** Each connection: its rooms (delivery/) and its events (events/). */
  onModuleInit(): void {
    this.connections.start({
      opened: (session) => this.membership.open(session),
      event: (session, event, args) => this.events.handle(session, event, args),
      closed: (session) => {
        try {
          this.membership.close(session);
        } finally {
          this.events.forget(session);
        }
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.fanout.start(this.feed);
    this.feed.start();
    await this.subscriber.start();
    this.presence.start(this.subscriber);
  }

  async onModuleDestroy(): Promise<void> {
    this.handshake.stopAccepting();
    this.presence.stop();
    const sockets = this.registry.size;
    try {
      await this.presence.withdraw();
    } catch (error) {
      this.log.warn(errorFields(error), 'withdrawing presence failed; the lease expires it');
    }
    this.host.dropAll();
    await this.receipts.expireAll(RECEIPT_REPORT_GRACE_MS);
    await this.subscriber.close();
    this.log.info({ sockets }, 'gateway stopped: connections dropped, presence withdrawn');
  }
}
