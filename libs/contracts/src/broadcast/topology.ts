import { z } from 'zod';
import { RoomId } from '../rpc/room/room.schemas';

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

/** Rooms a subscriber reports in `topRooms` at most. */
export const MAX_TOP_ROOMS = 20;

/** A room and how many distinct users watch it on the reporting subscriber. */
export const RoomViewers = z
  .object({
    roomId: RoomId,
    viewers: z.number().int().nonnegative(),
  })
  .strict();
export type RoomViewers = z.infer<typeof RoomViewers>;

/** What a subscriber (gateway) reports with each heartbeat: its sockets and its biggest rooms. */
export const SubscriberLoad = z
  .object({
    connections: z.number().int().nonnegative(),
    /** Rooms with at least one member on this subscriber. */
    rooms: z.number().int().nonnegative(),
    /** Distinct users per room, summed over its rooms. */
    viewers: z.number().int().nonnegative(),
    /** The subscriber's rooms with the most viewers, biggest first. */
    topRooms: z.array(RoomViewers).max(MAX_TOP_ROOMS),
  })
  .strict();
export type SubscriberLoad = z.infer<typeof SubscriberLoad>;

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
    /** Subscribers: their connections and biggest rooms (members that predate it send none). */
    subscriberLoad: SubscriberLoad.optional(),
  })
  .strict();
export type HeartbeatBody = z.infer<typeof HeartbeatBody>;

export const DrainBody = z.object({ id: MemberId }).strict();

/** Samples GET /cluster/series may hold: an hour at one a second. */
const MAX_SERIES_SAMPLES = 3600;

/** One value per sample, oldest first; null where the node sent no load in that sample. */
const RateColumn = z.array(z.number().nonnegative().nullable()).max(MAX_SERIES_SAMPLES);
const TotalColumn = z.array(z.number().nonnegative()).max(MAX_SERIES_SAMPLES);

/** Messages per second by lane, from the heartbeat counters (docs/broadcast-protocol.md "Dashboard"). */
export const LANE_RATE_NAMES = ['importantIn', 'normalIn', 'out', 'drops', 'malformed'] as const;
export type LaneRateName = (typeof LANE_RATE_NAMES)[number];

const laneColumns = <T extends z.ZodTypeAny>(column: T) =>
  z.object({ importantIn: column, normalIn: column, out: column, drops: column, malformed: column }).strict();

/**
 * GET /cluster/series of the node manager: one sample per `intervalMs`, column by column (as charts
 * take them). `total` sums the broadcast nodes (relays republish what the nodes already counted)
 * and the subscribers' viewers and connections; `nodes` has the rates of every node and relay.
 */
export const ClusterSeries = z
  .object({
    intervalMs: z.number().int().positive(),
    /** Epoch milliseconds of each sample. */
    at: TotalColumn,
    total: laneColumns(TotalColumn).extend({ viewers: TotalColumn, connections: TotalColumn }).strict(),
    nodes: z.array(
      z
        .object({ id: MemberId, kind: z.enum(['broadcast', 'relay']), rates: laneColumns(RateColumn) })
        .strict(),
    ),
  })
  .strict();
export type ClusterSeries = z.infer<typeof ClusterSeries>;
