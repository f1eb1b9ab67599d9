export * from './define-rpc';
export * from './validate';
export * from './user';
export * from './room';
export * from './registry';
