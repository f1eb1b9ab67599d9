import { Clock } from '@live-im/bootstrap';
import { RoomRpc, type RpcRequest } from '@live-im/contracts';
import { PresenceStore } from '@live-im/presence';
import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { z } from 'zod';
import { GatewayRpc } from '../rpc/gateway-rpc';
import { ApiKeyGuard } from './api-key.guard';
import {
  BanBody,
  CloseBody,
  KickBody,
  MembersQuery,
  MuteBody,
  PushBody,
  RoomPath,
  UnbanBody,
  UnmuteBody,
} from './api-routes';
import { ZodPipe } from './zod.pipe';

type Path = z.output<typeof RoomPath>;

/** The business and admin API of rooms: behind x-api-key. */
@Controller('api/rooms')
@UseGuards(ApiKeyGuard)
export class RoomsController {
  constructor(
    private readonly rpc: GatewayRpc,
    private readonly presence: PresenceStore,
    private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(201)
  create(@Body(new ZodPipe(RoomRpc.create.request)) body: RpcRequest<typeof RoomRpc.create>) {
    return this.rpc.call(RoomRpc.create, body);
  }

  @Get(':roomId')
  stats(@Param(new ZodPipe(RoomPath)) { roomId }: Path) {
    return this.rpc.call(RoomRpc.stats, { roomId });
  }

  @Get(':roomId/members')
  members(
    @Param(new ZodPipe(RoomPath)) { roomId }: Path,
    @Query(new ZodPipe(MembersQuery)) query: z.output<typeof MembersQuery>,
  ) {
    return this.presence.members(roomId, query.cursor, this.clock.now());
  }

  @Post(':roomId/push')
  @HttpCode(200)
  push(
    @Param(new ZodPipe(RoomPath)) { roomId }: Path,
    @Body(new ZodPipe(PushBody)) body: z.output<typeof PushBody>,
  ) {
    return this.rpc.call(RoomRpc.push, { ...body, roomId });
  }

  @Post(':roomId/mute')
  @HttpCode(200)
  mute(
    @Param(new ZodPipe(RoomPath)) { roomId }: Path,
    @Body(new ZodPipe(MuteBody)) body: z.output<typeof MuteBody>,
  ) {
    return this.rpc.call(RoomRpc.mute, { ...body, roomId });
  }

  @Post(':roomId/unmute')
  @HttpCode(200)
  unmute(
    @Param(new ZodPipe(RoomPath)) { roomId }: Path,
    @Body(new ZodPipe(UnmuteBody)) body: z.output<typeof UnmuteBody>,
  ) {
    return this.rpc.call(RoomRpc.unmute, { ...body, roomId });
  }

  @Post(':roomId/ban')
  @HttpCode(200)
  ban(
    @Param(new ZodPipe(RoomPath)) { roomId }: Path,
    @Body(new ZodPipe(BanBody)) body: z.output<typeof BanBody>,
  ) {
    return this.rpc.call(RoomRpc.ban, { ...body, roomId });
  }

  @Post(':roomId/unban')
  @HttpCode(200)
  unban(
    @Param(new ZodPipe(RoomPath)) { roomId }: Path,
    @Body(new ZodPipe(UnbanBody)) body: z.output<typeof UnbanBody>,
  ) {
    return this.rpc.call(RoomRpc.unban, { ...body, roomId });
  }

  @Post(':roomId/kick')
  @HttpCode(200)
  kick(
    @Param(new ZodPipe(RoomPath)) { roomId }: Path,
    @Body(new ZodPipe(KickBody)) body: z.output<typeof KickBody>,
  ) {
    return this.rpc.call(RoomRpc.kick, { ...body, roomId });
  }

  @Post(':roomId/close')
  @HttpCode(200)
  close(
    @Param(new ZodPipe(RoomPath)) { roomId }: Path,
    @Body(new ZodPipe(CloseBody)) body: z.output<typeof CloseBody>,
  ) {
    return this.rpc.call(RoomRpc.close, { ...body, roomId });
  }
}
