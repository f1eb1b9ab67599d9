import type { MemberKind, NodeLoad, NodeState, SubscriberLoad } from '@live-im/contracts';

/** The kinds listed in the topology; subscribers and publishers are tracked but not listed. */
export type NodeKind = 'broadcast' | 'relay';

export function isNodeKind(kind: MemberKind): kind is NodeKind {
  return kind === 'broadcast' || kind === 'relay';
}

/** One member of the cluster as the manager sees it. Times are the manager's monotonic ms. */
export interface Member {
  readonly id: string;
  readonly kind: MemberKind;
  readonly region: string;
  readonly pull: string | null;
  readonly pub: string | null;
  /** The ROUTER identity of the DEALER it registered from: replies go there, later messages must match it. */
  readonly routingId: Buffer;
  readonly registeredAt: number;
  /**
   * Subscribers and publishers have no joining phase: they are `active` from registration and
   * `draining` after DRAIN; they are removed, not kept `dead`.
   */
  state: NodeState;
  stateSince: number;
  lastSeen: number;
  /** The load of the last heartbeat that carried one. */
  load: NodeLoad | null;
  /** Subscribers: the subscriber load of the last heartbeat that carried one. */
  subscriberLoad: SubscriberLoad | null;
  /** When `load` or `subscriberLoad` last arrived. */
  loadAt: number | null;
  /** Node ids from the last heartbeat that carried `connected` (subscribers and relays). */
  connected: Set<string>;
  heartbeats: number;
}
