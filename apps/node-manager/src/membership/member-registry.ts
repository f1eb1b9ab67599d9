import type { MemberKind, NodeState } from '@live-im/contracts';
import { isNodeKind, type Member } from './member';

export type MemberCounts = Record<MemberKind, Partial<Record<NodeState, number>>>;

/**
 * Every member by id, at most one entry per id. Members are found by the id in their messages;
 * the routing id only has to match (one DEALER may speak for several ids, e.g. a process that both
 * publishes and subscribes).
 */
export class MemberRegistry {
  private readonly byId = new Map<string, Member>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Member | undefined {
    return this.byId.get(id);
  }

  /** Adds a member; returns the entry of the same id it replaced, if any. */
  put(member: Member): Member | undefined {
    const previous = this.byId.get(member.id);
    this.byId.set(member.id, member);
    return previous;
  }

  remove(member: Member): void {
    if (this.byId.get(member.id) === member) this.byId.delete(member.id);
  }

  values(): IterableIterator<Member> {
    return this.byId.values();
  }

  /** Broadcast nodes and relays, sorted by id so equal views give equal topologies. */
  nodes(): Member[] {
    return [...this.byId.values()].filter((m) => isNodeKind(m.kind)).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  joiningNodes(): Member[] {
    return this.nodes().filter((m) => m.state === 'joining');
  }

  counts(): MemberCounts {
    const counts: MemberCounts = { broadcast: {}, relay: {}, subscriber: {}, publisher: {} };
    for (const m of this.byId.values()) {
      const byState = counts[m.kind];
      byState[m.state] = (byState[m.state] ?? 0) + 1;
    }
    return counts;
  }
}
