export * from './room.schemas';
export * from './send.schemas';
export * as RoomRpc from './room.rpc';
