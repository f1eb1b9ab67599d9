import { Controller } from '@nestjs/common';
import { RpcRequest, RpcResponse, UserRpc } from '@live-im/contracts';
import { RpcHandler } from '@live-im/zmq-transport';
import { UserMetrics } from './user-metrics';
import { UsersService } from './users.service';

/** UserRpc over the broker. The transport has validated each request against its contract. */
@Controller()
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly metrics: UserMetrics,
  ) {}

  @RpcHandler(UserRpc.register)
  register(req: RpcRequest<typeof UserRpc.register>): Promise<RpcResponse<typeof UserRpc.register>> {
    return this.metrics.count('register', this.users.register(req));
  }

  @RpcHandler(UserRpc.login)
  login(req: RpcRequest<typeof UserRpc.login>): Promise<RpcResponse<typeof UserRpc.login>> {
    return this.metrics.count('login', this.users.login(req));
  }

  @RpcHandler(UserRpc.guest)
  guest(req: RpcRequest<typeof UserRpc.guest>): Promise<RpcResponse<typeof UserRpc.guest>> {
    return this.metrics.count('guest', this.users.guest(req));
  }

  @RpcHandler(UserRpc.verifyToken)
  verifyToken(req: RpcRequest<typeof UserRpc.verifyToken>): Promise<RpcResponse<typeof UserRpc.verifyToken>> {
    return this.metrics.count('verifyToken', this.users.verifyToken(req));
  }

  @RpcHandler(UserRpc.getProfile)
  getProfile(req: RpcRequest<typeof UserRpc.getProfile>): Promise<RpcResponse<typeof UserRpc.getProfile>> {
    return this.users.getProfile(req);
  }

  @RpcHandler(UserRpc.updateProfile)
  updateProfile(
    req: RpcRequest<typeof UserRpc.updateProfile>,
  ): Promise<RpcResponse<typeof UserRpc.updateProfile>> {
    return this.users.updateProfile(req);
  }

  @RpcHandler(UserRpc.ban)
  ban(req: RpcRequest<typeof UserRpc.ban>): Promise<RpcResponse<typeof UserRpc.ban>> {
    return this.users.ban(req);
  }

  @RpcHandler(UserRpc.unban)
  unban(req: RpcRequest<typeof UserRpc.unban>): Promise<RpcResponse<typeof UserRpc.unban>> {
    return this.users.unban(req);
  }
}
