export * from './room-message';
