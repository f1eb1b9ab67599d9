export * from './error-code';
export * from './rpc-error';
