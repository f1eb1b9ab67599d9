import { RpcContract } from './define-rpc';
import { BusinessRpc } from './business';
import { RoomRpc } from './room';
import { UserRpc } from './user';

/** Every contract of the platform, by pattern: what the CLI lists and a worker validates against. */
export const RPC_CONTRACTS: ReadonlyMap<string, RpcContract> = new Map(
  [...Object.values(UserRpc), ...Object.values(RoomRpc), ...Object.values(BusinessRpc)].map(
    (c: RpcContract) => [c.pattern, c],
  ),
);

export function findContract(pattern: string): RpcContract | undefined {
  return RPC_CONTRACTS.get(pattern);
}
