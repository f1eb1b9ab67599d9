/** Version byte of every BCAST/1 and NM/1 header and of the batch meta. */
export const BCAST_VERSION = 1;

/** Second byte of a header frame (docs/broadcast-protocol.md). */
export const BroadcastCommand = {
  PUBLISH: 0x21,
  PUBLISH_RUNS: 0x22,
  ROOM_STATE: 0x23,
  REGISTER: 0x31,
  REGISTERED: 0x32,
  HEARTBEAT: 0x33,
  HEARTBEAT_ACK: 0x34,
  UNKNOWN: 0x35,
  DRAIN: 0x36,
  GET_TOPOLOGY: 0x37,
  TOPOLOGY: 0x38,
} as const;

export type BroadcastCommand = (typeof BroadcastCommand)[keyof typeof BroadcastCommand];

const KNOWN = new Set<number>(Object.values(BroadcastCommand));

export const LaneCode = { normal: 0, important: 1 } as const;
export type LaneCode = (typeof LaneCode)[keyof typeof LaneCode];

/** The topic frame on the node manager's PUB socket. */
export const TOPOLOGY_TOPIC = Buffer.from('topology');

export function isBroadcastCommand(value: number): value is BroadcastCommand {
  return KNOWN.has(value);
}
