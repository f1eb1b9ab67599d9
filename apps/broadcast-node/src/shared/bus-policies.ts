import type { BusSecurity } from '@live-im/config';
import { releaseCurveServer, secureCurveServer } from '@live-im/zmq-transport';
import type { Socket } from 'zeromq';

/** Which listed keys a node's (or relay's) server socket admits. */
export type NodeSocketRole = 'broadcast_input' | 'broadcast_output' | 'relay_output';

/**
 * Secures a node's server socket before it binds: CURVE with this process's key pair (the key the
 * trust list names as `broadcast`), admitting only publisher keys on the input and subscriber keys
 * on the publish side. Returns the ZAP domain to release on close; nothing with the bus open.
 */
export async function secureNodeSocket(
  socket: Socket,
  role: NodeSocketRole,
  security: BusSecurity | undefined,
): Promise<string | undefined> {
  if (security?.mode !== 'curve') return undefined;
  const listed = role === 'broadcast_input' ? security.trust.publishers : security.trust.subscribers;
  const keys = new Set(listed.map((entry) => entry.key));
  return secureCurveServer(socket, security.keyPair, { role, admits: (key) => keys.has(key) });
}

export async function releaseNodeSockets(domains: Array<string | undefined>): Promise<void> {
  await Promise.all(domains.map((domain) => releaseCurveServer(domain)));
}
