import {
  ClusterSeries,
  LANE_RATE_NAMES,
  MemberKind,
  NodeState,
  RoomViewers,
  SubscriberLoad,
} from '@live-im/contracts';
import { z } from 'zod';

const LaneRates = z.object(
  Object.fromEntries(LANE_RATE_NAMES.map((lane) => [lane, z.number()])) as Record<
    (typeof LANE_RATE_NAMES)[number],
    z.ZodNumber
  >,
);

/** The part of GET /cluster the page shows; other fields are ignored, so the manager may add some. */
export const ClusterSnapshot = z.object({
  manager: z.object({
    id: z.string(),
    uptimeMs: z.number(),
    rebuilding: z.boolean(),
    heartbeatMs: z.number(),
  }),
  version: z.number(),
  nodes: z.array(
    z.object({
      id: z.string(),
      kind: MemberKind,
      region: z.string(),
      state: NodeState,
      lastSeenMsAgo: z.number(),
      inStateForMs: z.number(),
      load: z.object({ rooms: z.number(), subscriptions: z.number() }).nullable(),
      loadAgeMs: z.number().nullable(),
      rates: LaneRates.nullable().optional(),
      waitingFor: z.array(z.string()).optional(),
    }),
  ),
  members: z.array(
    z.object({
      id: z.string(),
      kind: MemberKind,
      region: z.string(),
      state: NodeState,
      lastSeenMsAgo: z.number(),
      subscriberLoad: SubscriberLoad.nullable().optional(),
      loadAgeMs: z.number().nullable().optional(),
    }),
  ),
  audience: z.object({ viewers: z.number(), connections: z.number(), topRooms: z.array(RoomViewers) }),
  departed: z.array(
    z.object({
      id: z.string(),
      kind: MemberKind,
      region: z.string(),
      lastState: NodeState,
      goneForMs: z.number(),
    }),
  ),
});
export type ClusterSnapshot = z.infer<typeof ClusterSnapshot>;

export { ClusterSeries };
