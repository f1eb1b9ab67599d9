export * as BusinessRpc from './business.rpc';
