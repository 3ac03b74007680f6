import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { RunStartLimiter } from '../common/throttling/run-start-limiter.js';
import { RunsModule } from '../runs/runs.module.js';
import { ChatGateway } from './chat.gateway.js';

/** WebSocket chat (`/ws/chat`): the interactive pattern, where the client cancels or adds context mid-answer. */
@Module({
  imports: [ChatModule, RunsModule],
  providers: [ChatGateway, RunStartLimiter],
})
export class RealtimeModule {}
