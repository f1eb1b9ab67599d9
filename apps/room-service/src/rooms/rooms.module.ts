import { Module } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { RoomStore } from './room.store';
import { RoomsController } from './rooms.controller';

/** Rooms: their lifecycle now, the live-room business (join, send, history) as it lands. Needs the global RedisModule. */
@Module({
  controllers: [RoomsController],
  providers: [Clock, RoomStore],
})
export class RoomsModule {}
