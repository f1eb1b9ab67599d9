import { z } from 'zod';

/** A member's region label, e.g. `home`, `eu-west`. */
export const Region = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lowercase letters, digits and dash');

export const MemberId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, dot, dash, underscore');

/** What a member of the broadcast cluster is (docs/broadcast-protocol.md "Node manager"). */
export const MemberKind = z.enum(['broadcast', 'relay', 'subscriber', 'publisher']);
export type MemberKind = z.infer<typeof MemberKind>;

export const NodeState = z.enum(['joining', 'active', 'draining', 'dead']);
export type NodeState = z.infer<typeof NodeState>;

const Endpoint = z.string().regex(/^(tcp:\/\/[^\s:]+:\d+|ipc:\/\/\S+)$/, 'a tcp:// or ipc:// endpoint');

/** A broadcast node or relay as the topology lists it. */
export const TopologyNode = z.object({
  id: MemberId,
  kind: z.enum(['broadcast', 'relay']),
  region: Region,
  state: NodeState,
  pull: Endpoint.nullable(),
  pub: Endpoint,
});
export type TopologyNode = z.infer<typeof TopologyNode>;

export const Topology = z.object({
  /** Only grows; a member ignores a topology older than the one it has. */
  version: z.number().int().nonnegative(),
  updatedAt: z.number().int(),
  nodes: z.array(TopologyNode),
});
export type Topology = z.infer<typeof Topology>;

/** Counters and gauges a node reports with each heartbeat. */
export const NodeLoad = z.object({
  msgsIn: z.number().int().nonnegative(),
  msgsOut: z.number().int().nonnegative(),
  batchesOut: z.number().int().nonnegative(),
  importantIn: z.number().int().nonnegative(),
  normalIn: z.number().int().nonnegative(),
  droppedCap: z.number().int().nonnegative(),
  noSubscriber: z.number().int().nonnegative(),
  malformed: z.number().int().nonnegative(),
  rooms: z.number().int().nonnegative(),
  subscriptions: z.number().int().nonnegative(),
});
export type NodeLoad = z.infer<typeof NodeLoad>;

export const RegisterBody = z
  .object({
    id: MemberId,
    kind: MemberKind,
    region: Region,
    pull: Endpoint.optional(),
    pub: Endpoint.optional(),
    /** The state the member believes it has (after a manager restart). */
    state: NodeState.optional(),
  })
  .strict()
  .refine((m) => (m.kind === 'broadcast' ? !!m.pull && !!m.pub : m.kind === 'relay' ? !!m.pub : true), {
    message: 'broadcast nodes need pull and pub endpoints, relays a pub endpoint',
  });
export type RegisterBody = z.infer<typeof RegisterBody>;

export const HeartbeatBody = z
  .object({
    id: MemberId,
    load: NodeLoad.optional(),
    /** Ids of the nodes whose pub endpoint this member is connected to. */
    connected: z.array(MemberId).max(10_000).optional(),
  })
  .strict();
export type HeartbeatBody = z.infer<typeof HeartbeatBody>;

export const DrainBody = z.object({ id: MemberId }).strict();
