import { LaneCode } from './protocol/commands';

/** A room message's lane as the API names it (docs/broadcast-protocol.md "Merging, lanes"). */
export type Lane = 'normal' | 'important';

export const LANE_CODES: Readonly<Record<Lane, LaneCode>> = {
  normal: LaneCode.normal,
  important: LaneCode.important,
};

/** Indexed by LaneCode. */
export const LANE_NAMES: readonly Lane[] = ['normal', 'important'];
