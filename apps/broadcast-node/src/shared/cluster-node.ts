import type { NodeLoad, Topology } from '@live-im/contracts';

/** What the Nest service runs: a broadcast node or a relay. */
export interface ClusterNode {
  readonly kind: 'broadcast' | 'relay';
  /** Binds the sockets and starts reading. Rejects if a bind fails. */
  start(): Promise<void>;
  /** True while the sockets are bound and read. */
  readonly isRunning: boolean;
  /** The bound PULL endpoint (broadcast nodes only), with the real port. */
  readonly pullEndpoint: string | null;
  /** The bound XPUB endpoint, with the real port. */
  readonly pubEndpoint: string | null;
  /** Follows the cluster: ownership moves (broadcast) or upstream nodes (relay). */
  applyTopology(topology: Topology): void;
  /** The counters and gauges a heartbeat carries. */
  load(): NodeLoad;
  /** Ids of the upstream nodes this member is connected to (relays). */
  connected(): string[];
  /** Publishes what is held, then closes the sockets. Idempotent. */
  close(): Promise<void>;
}
