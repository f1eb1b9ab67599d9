export * from './relay-counters';
export * from './relay-node';
export * from './upstream-links';
