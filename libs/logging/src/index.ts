export * from './request-context';
export * from './create-logger';
export * from './logging.module';
export * from './redact-url';
