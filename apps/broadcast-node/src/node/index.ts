export * from './broadcast-node';
export * from './merge-limits';
export * from './node-counters';
export * from './room-merger';
export * from './room-state-relay';
