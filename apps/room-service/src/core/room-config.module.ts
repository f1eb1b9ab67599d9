import { DynamicModule, Global, Module } from '@nestjs/common';
import { ROOM_SERVICE_CONFIG, RoomServiceConfig } from '../config';

/** The validated config, for every module's factories. */
@Global()
@Module({})
export class RoomConfigModule {
  static forRoot(config: RoomServiceConfig): DynamicModule {
    return {
      module: RoomConfigModule,
      providers: [{ provide: ROOM_SERVICE_CONFIG, useValue: config }],
      exports: [ROOM_SERVICE_CONFIG],
    };
  }
}
