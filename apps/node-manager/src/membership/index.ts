export * from './cluster-view';
export * from './manager-counters';
export * from './manager-options';
export * from './member';
export * from './membership';
export * from './node-manager';
