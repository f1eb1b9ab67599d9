import type { MemberKind, NodeState } from '@live-im/contracts';
import type { ClusterSnapshot } from './cluster-snapshot';
import { formatCount, formatDuration } from './format';

/** One line of the members table, already formatted. */
export interface MemberRow {
  id: string;
  kind: MemberKind;
  region: string;
  state: NodeState;
  /** What the state cell says beyond the state: who a joining node waits for, how long ago one died. */
  stateNote: string;
  lastSeen: string;
  inState: string;
  rooms: string;
  subscriptions: string;
  inRate: string;
  outRate: string;
  loadAge: string;
}

const KIND_ORDER: Record<MemberKind, number> = { broadcast: 0, relay: 1, subscriber: 2, publisher: 3 };

/** Every node, relay, subscriber and publisher the manager lists, then the departed ones, as table rows. */
export function memberRows(snapshot: ClusterSnapshot): MemberRow[] {
  const rows: MemberRow[] = [];
  for (const node of snapshot.nodes) {
    const rates = node.rates ?? null;
    rows.push({
      id: node.id,
      kind: node.kind,
      region: node.region,
      state: node.state,
      stateNote: node.waitingFor?.length ? `waiting for ${node.waitingFor.join(', ')}` : '',
      lastSeen: `${formatDuration(node.lastSeenMsAgo)} ago`,
      inState: formatDuration(node.inStateForMs),
      rooms: formatCount(node.load?.rooms),
      subscriptions: formatCount(node.load?.subscriptions),
      inRate: formatCount(rates === null ? null : rates.importantIn + rates.normalIn),
      outRate: formatCount(rates?.out),
      loadAge: formatDuration(node.loadAgeMs),
    });
  }
  for (const member of snapshot.members) {
    const load = member.subscriberLoad ?? null;
    rows.push({
      id: member.id,
      kind: member.kind,
      region: member.region,
      state: member.state,
      stateNote: '',
      lastSeen: `${formatDuration(member.lastSeenMsAgo)} ago`,
      inState: '–',
      rooms: formatCount(load?.rooms),
      subscriptions: load === null ? '–' : `${formatCount(load.connections)} conns`,
      inRate: '–',
      outRate: '–',
      loadAge: formatDuration(member.loadAgeMs),
    });
  }
  const listed = new Set(rows.map((row) => row.id));
  for (const gone of snapshot.departed) {
    if (listed.has(gone.id)) continue;
    rows.push({
      id: gone.id,
      kind: gone.kind,
      region: gone.region,
      state: 'dead',
      stateNote: `gone, was ${gone.lastState}`,
      lastSeen: `${formatDuration(gone.goneForMs)} ago`,
      inState: '–',
      rooms: '–',
      subscriptions: '–',
      inRate: '–',
      outRate: '–',
      loadAge: '–',
    });
  }
  return rows.sort(
    (a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
