export * from './admin-routes';
export * from './readiness-indicator';
export * from './health.module';
export * from './scrape-metrics';
