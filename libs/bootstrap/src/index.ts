export * from './run-app';
export * from './clock';
