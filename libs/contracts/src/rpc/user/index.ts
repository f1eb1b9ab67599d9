export * from './user.schemas';
export * as UserRpc from './user.rpc';
