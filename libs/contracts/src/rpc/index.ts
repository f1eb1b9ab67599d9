export * from './define-rpc';
export * from './validate';
export * from './user';
export * from './room';
export * from './business';
export * from './registry';
