import { Topology } from '@live-im/contracts';

const SERVING_STATES = new Set(['joining', 'active', 'draining']);

/**
 * The `pub` endpoints a subscriber of `region` connects to, by node id: the region's relays when
 * it has any (a message then crosses into the region once), every serving broadcast node otherwise.
 * Joining nodes are included so they can become active without a subscriber missing their output.
 */
export function subscriptionTargets(topology: Topology, region: string): Map<string, string> {
  const relays = new Map<string, string>();
  const nodes = new Map<string, string>();
  for (const node of topology.nodes) {
    if (!SERVING_STATES.has(node.state)) continue;
    if (node.kind === 'relay' && node.region === region) relays.set(node.id, node.pub);
    else if (node.kind === 'broadcast') nodes.set(node.id, node.pub);
  }
  return relays.size > 0 ? relays : nodes;
}
