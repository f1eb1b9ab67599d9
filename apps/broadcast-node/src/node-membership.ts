import type { BusSecurity } from '@live-im/config';
import { ClusterMembership, type BroadcastLogger } from '@live-im/broadcast';
import type { RegisterBody } from '@live-im/contracts';
import type { Logger } from 'pino';
import type { ClusterNode } from './shared/cluster-node';

export interface NodeMembershipSettings {
  nodeId: string;
  region: string;
  managerRouter: string;
  managerPub: string;
  heartbeatMs: number;
  logger: Logger;
  /** CURVE towards the node manager; plain when absent or off. */
  security?: BusSecurity;
}

/** The library logs plain lines; ours are JSON through pino. */
function lineLogger(logger: Logger): BroadcastLogger {
  return {
    log: (message) => logger.info(message),
    warn: (message) => logger.warn(message),
    error: (message) => logger.error(message),
  };
}

/**
 * Joins a started node to the cluster: registers it with its bound endpoints, reports its load
 * (and, for a relay, its upstream connections) with each heartbeat, and hands it every newer topology.
 */
export function joinCluster(node: ClusterNode, settings: NodeMembershipSettings): ClusterMembership {
  const pub = node.pubEndpoint;
  if (pub === null) throw new Error('the node must be bound before it joins the cluster');
  const self: RegisterBody =
    node.kind === 'broadcast'
      ? {
          id: settings.nodeId,
          kind: 'broadcast',
          region: settings.region,
          pull: node.pullEndpoint ?? undefined,
          pub,
        }
      : { id: settings.nodeId, kind: 'relay', region: settings.region, pub };
  const membership = new ClusterMembership({
    managerRouter: settings.managerRouter,
    managerPub: settings.managerPub,
    self,
    heartbeatMs: settings.heartbeatMs,
    load: () => node.load(),
    connected: node.kind === 'relay' ? () => node.connected() : undefined,
    logger: lineLogger(settings.logger),
    security: settings.security,
  });
  membership.onTopology((topology) => node.applyTopology(topology));
  return membership;
}
