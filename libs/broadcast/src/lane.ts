import type { Lane } from '@live-im/contracts';
import { LaneCode } from './protocol/commands';

/** A lane's code on the wire, by the name the contracts give it (`Lane`, docs/broadcast-protocol.md "Merging, lanes"). */
export const LANE_CODES: Readonly<Record<Lane, LaneCode>> = {
  normal: LaneCode.normal,
  important: LaneCode.important,
};

/** Indexed by LaneCode. */
export const LANE_NAMES: readonly Lane[] = ['normal', 'important'];
