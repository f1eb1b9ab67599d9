export * from './redis.tokens';
export * from './redis-keys';
export * from './redis.module';
export * from './redis.health';
export * from './lua-script';
export * from './redis.env';
export * from './redis-command-metrics';
