import { ErrorCode, RpcError, type RpcRequest, UserRpc } from '@live-im/contracts';
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { GatewayRpc } from '../rpc/gateway-rpc';
import { AuthLimits } from './auth-limits';
import { ZodPipe } from './zod.pipe';

/**
 * Sessions for anyone: accounts, sign-in, guests. Every route is rate limited per client address
 * before its body is read (configureHttpEdge); login also per account (AuthLimits).
 */
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly rpc: GatewayRpc,
    private readonly limits: AuthLimits,
  ) {}

  @Post('register')
  @HttpCode(201)
  register(@Body(new ZodPipe(UserRpc.register.request)) body: RpcRequest<typeof UserRpc.register>) {
    return this.rpc.call(UserRpc.register, body);
  }

  @Post('login')
  @HttpCode(200)
  async login(@Body(new ZodPipe(UserRpc.login.request)) body: RpcRequest<typeof UserRpc.login>) {
    await this.limits.checkAccount(body.username);
    try {
      const session = await this.rpc.call(UserRpc.login, body);
      await this.limits.loginSucceeded(body.username);
      return session;
    } catch (error) {
      if (error instanceof RpcError && error.code === ErrorCode.UNAUTHENTICATED) {
        await this.limits.loginFailed(body.username);
      }
      throw error;
    }
  }

  @Post('guest')
  @HttpCode(200)
  guest(@Body(new ZodPipe(UserRpc.guest.request)) body: RpcRequest<typeof UserRpc.guest>) {
    return this.rpc.call(UserRpc.guest, body);
  }
}
