export * from './cluster-history';
export * from './departed-members';
export * from './lane-rates';
export * from './sample-ring';
export * from './top-rooms';
