import { UserEntity } from './auth/entities/user.entity.js';
import { ConversationMemberEntity } from './chat/entities/conversation-member.entity.js';
import { ConversationEntity } from './chat/entities/conversation.entity.js';
import { MessageEntity } from './chat/entities/message.entity.js';
import { RunEntity } from './chat/entities/run.entity.js';
import { ToolCallEntity } from './chat/entities/tool-call.entity.js';
import { DocumentChunkEntity } from './documents/entities/document-chunk.entity.js';
import { DocumentEntity } from './documents/entities/document.entity.js';
import { TaskEntity } from './tasks/entities/task.entity.js';
import { UploadEntity } from './tasks/entities/upload.entity.js';

/**
 * Every entity the DataSource knows. The app's composition root hands this list to `DatabaseModule`, so that
 * `database/` imports no feature; a new feature appends its entities here.
 */
export const ENTITIES = [
  UserEntity,
  ConversationEntity,
  ConversationMemberEntity,
  MessageEntity,
  RunEntity,
  ToolCallEntity,
  DocumentEntity,
  DocumentChunkEntity,
  TaskEntity,
  UploadEntity,
];
