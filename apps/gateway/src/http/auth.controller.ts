import { type RpcRequest, UserRpc } from '@live-im/contracts';
import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { GatewayRpc } from '../rpc/gateway-rpc';
import { AuthRateGuard } from './auth-rate.guard';
import { ZodPipe } from './zod.pipe';

/** Sessions for anyone: accounts, sign-in, guests. Rate limited per client address. */
@Controller('api/auth')
@UseGuards(AuthRateGuard)
export class AuthController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post('register')
  @HttpCode(201)
  register(@Body(new ZodPipe(UserRpc.register.request)) body: RpcRequest<typeof UserRpc.register>) {
    return this.rpc.call(UserRpc.register, body);
  }

  @Post('login')
  @HttpCode(200)
  login(@Body(new ZodPipe(UserRpc.login.request)) body: RpcRequest<typeof UserRpc.login>) {
    return this.rpc.call(UserRpc.login, body);
  }

  @Post('guest')
  @HttpCode(200)
  guest(@Body(new ZodPipe(UserRpc.guest.request)) body: RpcRequest<typeof UserRpc.guest>) {
    return this.rpc.call(UserRpc.guest, body);
  }
}
