import { RoomRpc } from '@live-im/contracts';
import { Controller, Get } from '@nestjs/common';
import { GatewayRpc } from '../rpc/gateway-rpc';

/** The gift catalogue, public: clients show it before anyone signs in. */
@Controller('api/gifts')
export class GiftsController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  list() {
    return this.rpc.call(RoomRpc.gifts, {});
  }
}
