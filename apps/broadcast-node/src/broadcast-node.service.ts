import type { ClusterMembership } from '@live-im/broadcast';
import { loadBusSecurity, loadMemberSecurity, type BusSecurity } from '@live-im/config';
import { createLogger } from '@live-im/logging';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { NODE_CONFIG, nodeIdOf, type NodeConfig } from './node-config';
import { joinCluster } from './node-membership';
import { NodeMetrics } from './node-metrics';
import { BroadcastNode } from './node';
import { RelayNode } from './relay';
import type { ClusterNode } from './shared/cluster-node';

/**
 * Runs the node (broadcast or relay) for the Nest app: binds on bootstrap (a failed bind fails the
 * boot), then joins the cluster. On shutdown it drains (leaves the rendezvous set), keeps
 * publishing for DRAIN_GRACE_MS while publishers move the rooms away, then flushes and closes.
 */
@Injectable()
export class BroadcastNodeService
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  readonly node: ClusterNode;
  private readonly nodeId: string;
  private readonly log: Logger;
  private membership: ClusterMembership | undefined;
  /** The shared serving key: the node's (relay's) sockets, and a relay's links upstream. */
  private readonly security: BusSecurity;
  /** This replica's own key: its DEALER to the node manager, which binds the node id to it. */
  private readonly memberSecurity: BusSecurity;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    metrics: NodeMetrics,
  ) {
    this.nodeId = nodeIdOf(config);
    // The core logs outside Nest's DI, in the same JSON format.
    this.log = createLogger({ app: 'broadcast-node', level: config.LOG_LEVEL, instance: this.nodeId });
    this.security = loadBusSecurity(config);
    this.memberSecurity = loadMemberSecurity(this.security, config);
    if (config.NODE_KIND === 'relay') {
      const relay = new RelayNode({
        nodeId: this.nodeId,
        pubBind: config.BCAST_PUB_BIND,
        logger: this.log,
        security: this.security,
      });
      metrics.trackRelay(relay);
      this.node = relay;
    } else {
      const node = new BroadcastNode({
        nodeId: this.nodeId,
        pullBind: config.BCAST_PULL_BIND,
        pubBind: config.BCAST_PUB_BIND,
        windowMs: config.MERGE_WINDOW_MS,
        maxMessages: config.MERGE_MAX_MESSAGES,
        capPerSec: config.NORMAL_CAP_PER_SEC,
        capPerSubscriber: config.NORMAL_CAP_PER_SUBSCRIBER,
        reorderHoldMs: config.REORDER_HOLD_MS,
        testDropImportantSeq: config.TEST_DROP_IMPORTANT_SEQ,
        logger: this.log,
        security: this.security,
        onBatch: (lane, count) => metrics.observeBatch(lane, count),
      });
      metrics.trackBroadcast(node);
      this.node = node;
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.node.start();
    this.membership = joinCluster(this.node, {
      nodeId: this.nodeId,
      region: this.config.REGION,
      managerRouter: this.config.NM_ROUTER,
      managerPub: this.config.NM_PUB,
      heartbeatMs: this.config.HEARTBEAT_MS,
      logger: this.log,
      security: this.memberSecurity,
    });
    await this.membership.start();
  }

  /** Leaves the rendezvous set and keeps publishing while publishers learn the new owners. */
  async beforeApplicationShutdown(): Promise<void> {
    const membership = this.membership;
    if (!membership) return;
    membership.drain();
    // A node that never saw a topology was never in the set: nobody needs the grace.
    if (membership.topology === undefined || this.config.DRAIN_GRACE_MS === 0) return;
    this.log.info({ graceMs: this.config.DRAIN_GRACE_MS }, 'draining');
    await new Promise((resolve) => setTimeout(resolve, this.config.DRAIN_GRACE_MS));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.node.close();
    await this.membership?.close();
  }

  get isRunning(): boolean {
    return this.node.isRunning;
  }
}
