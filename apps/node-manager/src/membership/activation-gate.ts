import type { Member } from './member';
import type { MemberRegistry } from './member-registry';

/**
 * Who must list a joining node in `connected` before publishers may send to it, so that nothing
 * published to it is lost to a member that is not yet listening:
 * - a broadcast node: every live relay, and every subscriber of a region without a live relay
 *   (subscribers behind a relay hear the node through the relay, never directly);
 * - a relay: every subscriber of its region.
 * Returns the ids of those that do not list it yet; empty means the node may become active.
 */
export function missingListeners(node: Member, registry: MemberRegistry): string[] {
  const relayRegions = new Set<string>();
  for (const m of registry.values()) {
    if (m.kind === 'relay' && m.state !== 'dead') relayRegions.add(m.region);
  }
  const missing: string[] = [];
  for (const m of registry.values()) {
    if (m.id === node.id || m.state === 'dead' || m.connected.has(node.id)) continue;
    if (mustListen(node, m, relayRegions)) missing.push(m.id);
  }
  return missing;
}

function mustListen(node: Member, member: Member, relayRegions: ReadonlySet<string>): boolean {
  if (node.kind === 'relay') return member.kind === 'subscriber' && member.region === node.region;
  if (member.kind === 'relay') return true;
  return member.kind === 'subscriber' && !relayRegions.has(member.region);
}
