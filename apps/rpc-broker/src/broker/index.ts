export * from './broker';
export * from './broker-options';
export * from './broker-stats';
export * from './dispatcher';
export * from './worker-announcement';
