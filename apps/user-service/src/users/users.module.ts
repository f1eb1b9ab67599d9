import { DynamicModule, Module } from '@nestjs/common';
import { Clock } from '@live-im/bootstrap';
import { PasswordHasher } from './password-hasher';
import { TOKEN_SETTINGS, TokenService, TokenSettings } from './token.service';
import { UserMetrics } from './user-metrics';
import { UserStore } from './user.store';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/** Accounts, sessions and bans. Needs the global RedisModule. */
@Module({})
export class UsersModule {
  static forRoot(tokens: TokenSettings): DynamicModule {
    return {
      module: UsersModule,
      controllers: [UsersController],
      providers: [
        { provide: TOKEN_SETTINGS, useValue: tokens },
        Clock,
        PasswordHasher,
        TokenService,
        UserStore,
        UserMetrics,
        UsersService,
      ],
    };
  }
}
