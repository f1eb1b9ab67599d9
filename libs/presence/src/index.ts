export * from './member-shard';
export * from './presence-delta';
export * from './presence-tracker';
export * from './presence-store';
export * from './live-rooms';
