export * from './room.schemas';
export * as RoomRpc from './room.rpc';
