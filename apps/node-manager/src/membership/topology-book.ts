import type { Topology, TopologyNode } from '@live-im/contracts';
import { isNodeKind, type Member } from './member';

/**
 * The versioned topology. The version starts at the wall clock in milliseconds and grows by one
 * per change: members ignore a topology older than theirs, so a restarted manager must not start
 * again from 0 (this holds as long as the previous run made fewer changes than it lived ms).
 */
export class TopologyBook {
  private topology: Topology;
  private nodesJson: string;
  private encoded: Buffer | null = null;
  private stale = false;

  constructor(private readonly wallClock: () => number) {
    const now = Math.floor(wallClock());
    this.topology = { version: now, updatedAt: now, nodes: [] };
    this.nodesJson = '[]';
  }

  get current(): Topology {
    return this.topology;
  }

  get version(): number {
    return this.topology.version;
  }

  /** Something the topology lists may have changed; the next commit looks. */
  touch(): void {
    this.stale = true;
  }

  /** After a touch, rebuilds the node list from `nodes`; a different list is a new version. */
  commit(nodes: readonly Member[]): boolean {
    if (!this.stale) return false;
    this.stale = false;
    const listed = nodes.map(topologyNode);
    const json = JSON.stringify(listed);
    if (json === this.nodesJson) return false;
    this.nodesJson = json;
    this.topology = {
      version: this.topology.version + 1,
      updatedAt: Math.floor(this.wallClock()),
      nodes: listed,
    };
    this.encoded = null;
    return true;
  }

  /** The topology as JSON, encoded once per version for the PUB socket and every reply. */
  encode(): Buffer {
    this.encoded ??= Buffer.from(JSON.stringify(this.topology));
    return this.encoded;
  }

  /** The `{topology}` body of REGISTERED and TOPOLOGY. */
  encodeReply(): Buffer {
    return Buffer.concat([REPLY_OPEN, this.encode(), REPLY_CLOSE]);
  }
}

const REPLY_OPEN = Buffer.from('{"topology":');
const REPLY_CLOSE = Buffer.from('}');

/** How the topology lists a broadcast node or relay (REGISTER guarantees their endpoints). */
export function topologyNode(member: Member): TopologyNode {
  if (!isNodeKind(member.kind) || member.pub === null) {
    throw new Error(`member ${member.id} of kind ${member.kind} is not a topology node`);
  }
  return {
    id: member.id,
    kind: member.kind,
    region: member.region,
    state: member.state,
    pull: member.pull,
    pub: member.pub,
  };
}
