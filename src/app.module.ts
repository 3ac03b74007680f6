import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AdminModule } from './admin/admin.module.js';
import { AgentsModule } from './agents/agents.module.js';
import { AuthModule } from './auth/auth.module.js';
import { JwtAuthGuard } from './auth/guards/jwt-auth.guard.js';
import { RolesGuard } from './auth/guards/roles.guard.js';
import { ChatModule } from './chat/chat.module.js';
import { ClusterModule, REDIS } from './cluster/cluster.module.js';
import type { RedisConnections } from './cluster/redis/redis-connections.js';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter.js';
import { AppThrottlerGuard } from './common/throttling/app-throttler.guard.js';
import { RedisThrottlerStorage } from './common/throttling/redis-throttler.storage.js';
import { SlidingWindowThrottlerStorage } from './common/throttling/sliding-window.storage.js';
import { throttlerOptions } from './common/throttling/throttler-options.js';
import { AppValidationPipe } from './common/validation/app-validation.pipe.js';
import { NoUnexpectedBodyGuard } from './common/validation/no-unexpected-body.guard.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DocumentsModule } from './documents/documents.module.js';
import { ENTITIES } from './entities.js';
import { HealthModule } from './health/health.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { TasksModule } from './tasks/tasks.module.js';

@Module({})
export class AppModule {
  /**
   * The application for a validated configuration. `extraImports` lets tests add modules (e.g. test-only
   * `@AgentTool`s) exactly as an extending team would.
   */
  static forRoot(config: AppConfig, extraImports: Array<Type | DynamicModule> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config.database, ENTITIES),
        ClusterModule.forRoot(config),
        ThrottlerModule.forRootAsync({
          inject: [REDIS],
          // With REDIS_URL every limit is counted once across instances.
          useFactory: (redis: RedisConnections | null) =>
            throttlerOptions(
              config,
              redis ? new RedisThrottlerStorage(redis.command, redis.prefix) : new SlidingWindowThrottlerStorage(),
            ),
        }),
        AuthModule,
        HealthModule,
        AgentsModule,
        DocumentsModule,
        ChatModule,
        // A worker serves no public API: no WebSocket gateway (and, in main.ts, no HTTP routes but health).
        ...(config.processRole === 'worker' ? [] : [RealtimeModule]),
        TasksModule.forRoot(config),
        AdminModule,
        ...extraImports,
      ],
      providers: [
        // Guard order matters: authenticate, then authorize, then rate-limit per user, then refuse a stray body.
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        { provide: APP_GUARD, useClass: AppThrottlerGuard },
        { provide: APP_GUARD, useClass: NoUnexpectedBodyGuard },
        { provide: APP_PIPE, useClass: AppValidationPipe },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
