export * from './run-app';
export * from './clock';
export * from './built-page';
export * from './listeners';
