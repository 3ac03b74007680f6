import { CreateUsers1763800000000 } from './1763800000000-create-users.js';
import { CreateChat1763800000100 } from './1763800000100-create-chat.js';
import { CreateDocuments1763800000200 } from './1763800000200-create-documents.js';
import { AddRunIdempotencyKey1763800000300 } from './1763800000300-add-run-idempotency-key.js';
import { KeepChunkTsvectorInline1763800000400 } from './1763800000400-keep-chunk-tsvector-inline.js';
import { IndexChunksByUserDocument1763800000500 } from './1763800000500-index-chunks-by-user-document.js';
import { DurableRuns1763800000600 } from './1763800000600-durable-runs.js';
import { SmallChunkGinPendingList1763800000620 } from './1763800000620-small-chunk-gin-pending-list.js';
import { NormalizeUserEmails1763800000650 } from './1763800000650-normalize-user-emails.js';
import { CreateAuthSessions1763800000660 } from './1763800000660-create-auth-sessions.js';
import { ConversationMembers1763800000700 } from './1763800000700-conversation-members.js';
import { CreateTasks1763800000800 } from './1763800000800-create-tasks.js';
import { GinPendingListPerStore1763800000900 } from './1763800000900-gin-pending-list-per-store.js';

/** Applied in order at boot on PGlite and PostgreSQL alike. */
export const MIGRATIONS = [
  CreateUsers1763800000000,
  CreateChat1763800000100,
  CreateDocuments1763800000200,
  AddRunIdempotencyKey1763800000300,
  KeepChunkTsvectorInline1763800000400,
  IndexChunksByUserDocument1763800000500,
  DurableRuns1763800000600,
  SmallChunkGinPendingList1763800000620,
  NormalizeUserEmails1763800000650,
  CreateAuthSessions1763800000660,
  ConversationMembers1763800000700,
  CreateTasks1763800000800,
  GinPendingListPerStore1763800000900,
];
