import { Topology } from '@live-im/contracts';
import { z } from 'zod';

/** Body of REGISTERED and TOPOLOGY (docs/broadcast-protocol.md "Node manager"). */
export const TopologyReply = z.object({ topology: Topology });
export type TopologyReply = z.infer<typeof TopologyReply>;

/** Body of HEARTBEAT_ACK: the manager's topology version, to notice a missed update. */
export const HeartbeatAck = z.object({ version: z.number().int().nonnegative() });
export type HeartbeatAck = z.infer<typeof HeartbeatAck>;
