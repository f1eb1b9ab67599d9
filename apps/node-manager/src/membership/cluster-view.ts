import type { MemberKind, NodeLoad, NodeState, SubscriberLoad, TopologyNode } from '@live-im/contracts';
import type { Audience, ClusterHistory, DepartedMemberView, LaneRates } from '../history';
import { missingListeners } from './activation-gate';
import { isNodeKind, type Member } from './member';
import type { MemberCounts } from './member-registry';
import type { ManagerCounters } from './manager-counters';
import type { Membership } from './membership';
import { topologyNode } from './topology-book';

/** A topology node with what an operator asks next: is it alive, how loaded, what is it waiting for. */
export interface ClusterNodeView extends TopologyNode {
  lastSeenMsAgo: number;
  inStateForMs: number;
  /** From the node's last heartbeat that carried one; null before the first. */
  load: NodeLoad | null;
  loadAgeMs: number | null;
  /** Messages per second by lane over the last history sample; null without a recent load. */
  rates: LaneRates | null;
  /** Relays: the nodes they report connected to. */
  connected?: string[];
  /** Joining nodes: the members that must still report them connected before they turn active. */
  waitingFor?: string[];
}

export interface ClusterMemberView {
  id: string;
  kind: MemberKind;
  region: string;
  state: NodeState;
  lastSeenMsAgo: number;
  /** Subscribers: the nodes (or relays) they report connected to. */
  connected?: string[];
  /** Subscribers: their last subscriber load (null before the first, or from a gateway that sends none). */
  subscriberLoad?: SubscriberLoad | null;
  loadAgeMs?: number | null;
}

/** GET /cluster. */
export interface ClusterView {
  manager: {
    id: string;
    router: string | null;
    pub: string | null;
    uptimeMs: number;
    /** Still within the rebuild window after start: no node is promoted yet. */
    rebuilding: boolean;
    heartbeatMs: number;
    deadAfterMs: number;
    activateTimeoutMs: number;
  };
  version: number;
  updatedAt: number;
  nodes: ClusterNodeView[];
  /** Subscribers and publishers: members that are not topology nodes. */
  members: ClusterMemberView[];
  membersByKind: MemberCounts;
  counters: ManagerCounters;
  /** Viewers, connections and top rooms summed over the subscribers with a fresh load. */
  audience: Audience;
  /** Members no longer listed, kept a while so that a death stays visible. */
  departed: DepartedMemberView[];
}

export interface ManagerIdentity {
  id: string;
  router: string | null;
  pub: string | null;
  startedAt: number;
}

export function clusterView(
  membership: Membership,
  counters: ManagerCounters,
  identity: ManagerIdentity,
  history: ClusterHistory,
  now: number,
): ClusterView {
  const { registry, book, timings } = membership;
  // Every change is committed as it happens, so the registry's nodes are the current version's.
  const nodes = registry.nodes().map((node) => nodeView(node, membership, history, now));
  const members = [...registry.values()]
    .filter((m) => !isNodeKind(m.kind))
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((m) => memberView(m, now));
  return {
    manager: {
      id: identity.id,
      router: identity.router,
      pub: identity.pub,
      uptimeMs: Math.round(now - identity.startedAt),
      rebuilding: membership.isRebuilding(now),
      heartbeatMs: timings.heartbeatMs,
      deadAfterMs: timings.deadAfterMs,
      activateTimeoutMs: timings.activateTimeoutMs,
    },
    version: book.current.version,
    updatedAt: book.current.updatedAt,
    nodes,
    members,
    membersByKind: registry.counts(),
    counters,
    audience: history.audience(registry.values(), now),
    departed: history.departed(now),
  };
}

function nodeView(
  member: Member,
  membership: Membership,
  history: ClusterHistory,
  now: number,
): ClusterNodeView {
  const view: ClusterNodeView = {
    ...topologyNode(member),
    lastSeenMsAgo: Math.round(now - member.lastSeen),
    inStateForMs: Math.round(now - member.stateSince),
    load: member.load,
    loadAgeMs: loadAge(member, now),
    rates: history.latestRates(member.id) ?? null,
  };
  if (member.kind === 'relay') view.connected = [...member.connected];
  if (member.state === 'joining') view.waitingFor = missingListeners(member, membership.registry);
  return view;
}

function memberView(member: Member, now: number): ClusterMemberView {
  const view: ClusterMemberView = {
    id: member.id,
    kind: member.kind,
    region: member.region,
    state: member.state,
    lastSeenMsAgo: Math.round(now - member.lastSeen),
  };
  if (member.kind === 'subscriber') {
    view.connected = [...member.connected];
    view.subscriberLoad = member.subscriberLoad;
    view.loadAgeMs = loadAge(member, now);
  }
  return view;
}

function loadAge(member: Member, now: number): number | null {
  return member.loadAt === null ? null : Math.round(now - member.loadAt);
}
