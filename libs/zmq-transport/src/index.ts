export * from './protocol';
export * from './socket/outbound-queue';
