import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module.js';
import { ChatController } from './chat.controller.js';
import { ChatRepository } from './chat.repository.js';
import { ChatService } from './chat.service.js';
import { ConversationsController } from './conversations.controller.js';
import { ConversationsService } from './conversations.service.js';
import { ConversationEntity } from './entities/conversation.entity.js';
import { MessageEntity } from './entities/message.entity.js';
import { RunEntity } from './entities/run.entity.js';
import { ToolCallEntity } from './entities/tool-call.entity.js';
import { ActiveRuns } from './runs/active-runs.js';
import { RunProgressWriter } from './runs/run-progress-writer.js';
import { RunRecoveryService } from './runs/run-recovery.service.js';
import { ChatUiController } from './ui/chat-ui.controller.js';
import { ChatUiService } from './ui/chat-ui.service.js';

@Module({
  imports: [AgentsModule, TypeOrmModule.forFeature([ConversationEntity, MessageEntity, RunEntity, ToolCallEntity])],
  controllers: [ChatController, ConversationsController, ChatUiController],
  providers: [
    ChatService,
    ConversationsService,
    ChatRepository,
    ActiveRuns,
    RunProgressWriter,
    RunRecoveryService,
    ChatUiService,
  ],
  exports: [ActiveRuns],
})
export class ChatModule {}
