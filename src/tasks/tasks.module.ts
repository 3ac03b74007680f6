import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AgentsModule } from '../agents/agents.module.js';
import { ChatModule } from '../chat/chat.module.js';
import { RunStartLimiter } from '../common/throttling/run-start-limiter.js';
import type { AppConfig } from '../config/app-config.js';
import { DocumentsModule } from '../documents/documents.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { AgentRunHandler } from './handlers/agent-run.handler.js';
import { DocumentIngestHandler } from './handlers/document-ingest.handler.js';
import { DocumentsIngestAdapter } from './handlers/documents-ingest.adapter.js';
import { BullTaskQueue, TASKS_QUEUE } from './queue/bullmq-task-queue.js';
import { InProcessTaskQueue } from './queue/in-process-task-queue.js';
import { TaskQueue } from './queue/task-queue.js';
import { TaskWorker } from './task-worker.js';
import { TasksController } from './tasks.controller.js';
import { TasksRepository } from './tasks.repository.js';
import { TasksService } from './tasks.service.js';
import { UploadsController } from './uploads/uploads.controller.js';
import { UploadsRepository } from './uploads/uploads.repository.js';
import { UploadsService } from './uploads/uploads.service.js';

/**
 * Background tasks (`/api/tasks`, `/api/uploads`): records in PostgreSQL, moved by a queue (BullMQ with REDIS_URL,
 * in process without), run by the TaskWorker in processes whose PROCESS_ROLE runs tasks.
 */
@Module({})
export class TasksModule {
  static forRoot(config: AppConfig): DynamicModule {
    const { redis, tasks } = config;
    // BullMQ's keys under REDIS_PREFIX, like every other key: deployments (and test suites) never share jobs.
    const bull = redis && { connection: { url: redis.url }, prefix: `${redis.prefix}bull` };
    return {
      module: TasksModule,
      imports: [
        AgentsModule,
        ChatModule,
        RunsModule,
        DocumentsModule,
        ...(bull
          ? [
              // The producer fails at once while Redis is down (a 503), rather than waiting for it.
              BullModule.forRoot({ ...bull, connection: { ...bull.connection, enableOfflineQueue: false } }),
              BullModule.registerQueue({ name: TASKS_QUEUE }),
            ]
          : []),
      ],
      controllers: [TasksController, UploadsController],
      providers: [
        bull
          ? {
              provide: TaskQueue,
              inject: [getQueueToken(TASKS_QUEUE)],
              useFactory: (queue: Queue) => new BullTaskQueue(queue, { ...bull, ...tasks }),
            }
          : { provide: TaskQueue, useFactory: () => new InProcessTaskQueue(tasks) },
        TasksService,
        TasksRepository,
        UploadsService,
        UploadsRepository,
        TaskWorker,
        AgentRunHandler,
        DocumentIngestHandler,
        DocumentsIngestAdapter,
        RunStartLimiter,
      ],
      exports: [TaskWorker],
    };
  }
}
