import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { ChatController } from './chat.controller.js';
import { ChatRepository } from './chat.repository.js';
import { ChatService } from './chat.service.js';
import { ConversationAccess } from './conversation-access.js';
import { ConversationFeed } from './conversation-feed.js';
import { ConversationsController } from './conversations.controller.js';
import { ConversationsService } from './conversations.service.js';
import { ConversationMemberEntity } from './entities/conversation-member.entity.js';
import { ConversationEntity } from './entities/conversation.entity.js';
import { MessageEntity } from './entities/message.entity.js';
import { RunEntity } from './entities/run.entity.js';
import { ToolCallEntity } from './entities/tool-call.entity.js';
import { MembersService } from './members.service.js';
import { RunFeed } from './runs/run-feed.js';
import { RunLiveness } from './runs/run-liveness.service.js';
import { RunPipeline } from './runs/run-pipeline.js';
import { RunProgressWriter } from './runs/run-progress-writer.js';
import { RunsController } from './runs/runs.controller.js';
import { RunsRepository } from './runs/runs.repository.js';
import { RunsService } from './runs/runs.service.js';
import { ChatUiController } from './ui/chat-ui.controller.js';
import { ChatUiService } from './ui/chat-ui.service.js';

@Module({
  imports: [
    AgentsModule,
    AuthModule,
    RunsModule,
    TypeOrmModule.forFeature([ConversationEntity, ConversationMemberEntity, MessageEntity, RunEntity, ToolCallEntity]),
  ],
  controllers: [ChatController, ConversationsController, RunsController, ChatUiController],
  providers: [
    ChatService,
    ConversationsService,
    ConversationAccess,
    ConversationFeed,
    MembersService,
    RunsService,
    ChatRepository,
    RunsRepository,
    RunPipeline,
    RunFeed,
    RunProgressWriter,
    RunLiveness,
    ChatUiService,
  ],
  exports: [RunPipeline, RunFeed, ConversationFeed, ConversationAccess, RunsService],
})
export class ChatModule {}
