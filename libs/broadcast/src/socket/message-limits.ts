const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * The largest message part (frame) each broadcast socket role accepts: ZeroMQ's `ZMQ_MAXMSGSIZE`
 * (zeromq.js `maxMessageSize`). libzmq checks a frame's announced size before it allocates it and
 * drops the connection of a peer that announces more (counted by `countPeerDisconnects` on the
 * listening sockets). docs/broadcast-protocol.md "Limits" lists these; keep the two in step.
 */
export const BROADCAST_MESSAGE_LIMITS = {
  /**
   * Node PULL (publishers' PUBLISH / PUBLISH_RUNS). A reference publisher's batch is at most 256 KiB
   * or one run alone; a run is at most 1024 envelopes, and a chat envelope stays far below 16 KiB.
   */
  publishBytes: 16 * MIB,
  /**
   * What subscribers receive: node output at a SUB (gateways) or a relay's upstream XSUB. A node's
   * frame can join many envelopes of one room lane, so this is wider than the publish limit.
   */
  deliveryBytes: 64 * MIB,
  /**
   * What publishing sockets receive from their subscribers: subscribe / unsubscribe messages
   * (a topic `r:<roomId>:` of at most 67 bytes) at a node's or relay's XPUB, or at the manager's PUB.
   */
  subscriptionBytes: 4 * KIB,
  /** NM/1 commands at the node manager's ROUTER: small JSON registrations and heartbeats. */
  managerCommandBytes: 1 * MIB,
  /** Topology and replies a member receives from the manager (grows with the node count). */
  topologyBytes: 16 * MIB,
} as const;
