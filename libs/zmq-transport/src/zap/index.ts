export * from './z85';
export * from './zap-metrics';
export * from './zap-handler';
export * from './key-bound-id';
export * from './curve-sockets';
export * from './key-set';
