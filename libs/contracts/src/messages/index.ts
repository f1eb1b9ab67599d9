export * from './room-message';
export * from './readable-text';
