export * from './errors';
export * from './rpc';
export * from './messages';
export * from './broadcast';
export * from './socket';
export * from './http';
