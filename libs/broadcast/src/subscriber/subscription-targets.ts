import { Topology } from '@live-im/contracts';
import { rendezvousOwner } from '../protocol/rendezvous';

const SERVING_STATES = new Set(['joining', 'active', 'draining']);

/** A user channel's subscription placed on the shared socket (the region's relays) rather than at a node. */
export const SHARED_PLACEMENT = '';

/** Where a user channel is subscribed: node ids, or SHARED_PLACEMENT. Shared between channels, so never changed. */
export type PlaceList = readonly string[];

/** The place list of a channel subscribed nowhere. */
export const NO_PLACES: PlaceList = Object.freeze([]);

/**
 * One list per distinct placement, shared by every user channel placed alike: a gateway holds a
 * channel per connected user, nearly all placed at one node, and two arrays of their own per
 * channel (where it is wanted, where it is subscribed) would cost more than the channel's entry.
 */
export class PlaceLists {
  private readonly lists = new Map<string, PlaceList>();

  /** The shared list with these places, in this order. */
  of(places: readonly string[]): PlaceList {
    if (places.length === 0) return NO_PLACES;
    // Member ids are letters, digits, dot, dash and underscore (MemberId): never a space.
    const key = places.join(' ');
    let list = this.lists.get(key);
    if (list === undefined) {
      list = Object.freeze([...places]);
      this.lists.set(key, list);
    }
    return list;
  }

  /** Forgets the lists made so far (lists still held stay valid): called when the owners change. */
  clear(): void {
    this.lists.clear();
  }
}

/** Channel ids (`_<userId>`) are the topics that start with `_`; room ids never do. */
export function isUserChannel(id: string): boolean {
  return id.charCodeAt(0) === 0x5f;
}

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

/**
 * Where a subscriber of `region` places user channels: at the channel's owner alone when it
 * connects to the broadcast nodes themselves, on the shared socket when the region has relays
 * (a relay subscribes upstream on every node).
 */
export interface ChannelOwners {
  relayed: boolean;
  /** Active broadcast nodes, sorted: the set publishers route by. */
  active: string[];
  /** Active and joining broadcast nodes, sorted: the set once the joining ones are active. */
  coming: string[];
}

export function channelOwners(topology: Topology, region: string): ChannelOwners {
  let relayed = false;
  const active: string[] = [];
  const coming: string[] = [];
  for (const node of topology.nodes) {
    if (node.kind === 'relay') {
      if (node.region === region && SERVING_STATES.has(node.state)) relayed = true;
      continue;
    }
    if (node.state === 'active') active.push(node.id);
    if (node.state === 'active' || node.state === 'joining') coming.push(node.id);
  }
  return { relayed, active: active.sort(), coming: coming.sort() };
}

/** Equal owner sets place every channel the same way. */
export function sameChannelOwners(a: ChannelOwners, b: ChannelOwners): boolean {
  return (
    a.relayed === b.relayed &&
    a.active.join(',') === b.active.join(',') &&
    a.coming.join(',') === b.coming.join(',')
  );
}

/**
 * The places a user channel is subscribed at: its owner among the active nodes (where publishers
 * send its messages now) and its owner once the joining nodes are active (subscribed before the
 * node is activated, so a message routed there the moment it is has a subscriber). One node in the
 * steady state, two while a node that wins the channel joins; the shared socket when relayed.
 */
export function channelPlacement(channelId: string, owners: ChannelOwners): string[] {
  if (owners.relayed) return [SHARED_PLACEMENT];
  const now = rendezvousOwner(channelId, owners.active);
  const next =
    owners.coming.length === owners.active.length ? now : rendezvousOwner(channelId, owners.coming);
  if (now === undefined) return next === undefined ? [] : [next];
  return next === undefined || next === now ? [now] : [now, next];
}
