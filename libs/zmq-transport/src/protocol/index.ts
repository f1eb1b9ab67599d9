export * from './command';
export * from './frames';
export * from './codec';
