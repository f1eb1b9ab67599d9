export * from './readiness-indicator';
export * from './health.module';
