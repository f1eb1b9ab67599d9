export * from './commands';
export * from './frames';
export * from './rendezvous';
export * from './meta-layout';
export * from './room-state';
