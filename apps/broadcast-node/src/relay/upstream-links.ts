import type { Topology } from '@live-im/contracts';

/** What UpstreamLinks drives: the relay's XSUB. */
export interface UpstreamSocket {
  connect(endpoint: string): void;
  disconnect(endpoint: string): void;
}

const FOLLOWED_STATES = new Set(['joining', 'active', 'draining']);

/**
 * The broadcast nodes a relay reads from: every broadcast node of the topology that is joining,
 * active or draining (a joining node must be read before it takes traffic; a draining one still
 * publishes what it holds). A node counts as connected once ZeroMQ reports the connection, since
 * the manager activates a joining node on the strength of it.
 */
export class UpstreamLinks {
  /** Node id → pub endpoint we connected to. */
  private readonly links = new Map<string, string>();
  private readonly established = new Set<string>();

  constructor(private readonly socket: UpstreamSocket) {}

  follow(topology: Topology): { added: string[]; removed: string[] } {
    const wanted = new Map<string, string>();
    for (const node of topology.nodes) {
      if (node.kind === 'broadcast' && FOLLOWED_STATES.has(node.state)) wanted.set(node.id, node.pub);
    }
    const added: string[] = [];
    const removed: string[] = [];
    for (const [id, endpoint] of this.links) {
      if (wanted.get(id) === endpoint) continue;
      this.drop(id, endpoint);
      removed.push(id);
    }
    for (const [id, endpoint] of wanted) {
      if (this.links.has(id)) continue;
      this.socket.connect(endpoint);
      this.links.set(id, endpoint);
      added.push(id);
    }
    return { added, removed };
  }

  /** ZeroMQ connected (`up`) or lost (`!up`) the connection to `address`. */
  onConnection(address: string, up: boolean): void {
    for (const [id, endpoint] of this.links) {
      if (endpoint !== address) continue;
      if (up) this.established.add(id);
      else this.established.delete(id);
    }
  }

  /** Ids of the nodes whose pub endpoint is connected. */
  connected(): string[] {
    return [...this.established];
  }

  get size(): number {
    return this.links.size;
  }

  private drop(id: string, endpoint: string): void {
    this.links.delete(id);
    this.established.delete(id);
    try {
      this.socket.disconnect(endpoint);
    } catch {
      // Already disconnected (the endpoint never resolved): nothing left to undo.
    }
  }
}
