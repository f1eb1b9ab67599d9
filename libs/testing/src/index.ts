export * from './ports';
export * from './wait-for';
export * from './redis-target';
export * from './app-process';
export * from './test-redis';
export * from './recording-logger';
export * from './movable-clock';
export * from './process-group';
