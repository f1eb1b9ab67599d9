export * from './command';
export * from './frames';
export * from './codec';
export * from './stats-reply';
