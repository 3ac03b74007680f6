import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AgentDefinitions } from '../agents/agent-definitions.service.js';
import { AgentNotFound } from '../agents/agents.errors.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ConversationAccess } from '../chat/conversation-access.js';
import { RunsService } from '../chat/runs/runs.service.js';
import { ClusterEvents } from '../cluster/cluster-events.js';
import { ServiceUnavailable, ValidationFailedError, type FieldError } from '../common/errors/app.error.js';
import { isRedisUnavailable } from '../common/errors/redis-unavailable.js';
import { RunStartLimiter } from '../common/throttling/run-start-limiter.js';
import { AppValidationPipe } from '../common/validation/app-validation.pipe.js';
import { AgentRunInputDto } from './dto/agent-run-input.dto.js';
import type { CreateTaskDto } from './dto/create-task.dto.js';
import { DocumentIngestInputDto } from './dto/document-ingest-input.dto.js';
import type { TaskEntity, TaskType } from './entities/task.entity.js';
import { TaskQueue } from './queue/task-queue.js';
import { TASK_CANCELLED } from './task-worker.js';
import { TaskNotFound, UploadNotFound } from './tasks.errors.js';
import { TasksRepository } from './tasks.repository.js';
import { UploadsRepository } from './uploads/uploads.repository.js';

const INPUTS: Record<TaskType, new () => object> = {
  'agent.run': AgentRunInputDto,
  'document.ingest': DocumentIngestInputDto,
};

/** `/api/tasks`: tasks submitted, read and cancelled for their owner; the worker (TaskWorker) runs them. */
@Injectable()
export class TasksService {
  private readonly logger = new Logger(TasksService.name);
  private readonly validation = new AppValidationPipe();

  constructor(
    private readonly tasks: TasksRepository,
    private readonly uploads: UploadsRepository,
    private readonly queue: TaskQueue,
    private readonly events: ClusterEvents,
    private readonly runs: RunsService,
    private readonly access: ConversationAccess,
    private readonly agents: AgentDefinitions,
    private readonly limiter: RunStartLimiter,
  ) {}

  /**
   * Checks the input for its type, then stores and queues the task. A repeated idempotency key returns the first
   * task (`created: false`). An `agent.run` counts as a run start under the user's chat limit.
   */
  async submit(user: AuthUser, dto: CreateTaskDto): Promise<{ task: TaskEntity; created: boolean }> {
    const input = await this.validInput(dto);
    if (dto.idempotency_key) {
      const first = await this.tasks.findByIdempotencyKey(user.id, dto.idempotency_key);
      if (first) return { task: first, created: false };
    }
    if (dto.type === 'agent.run') await this.checkAgentRun(user, input as AgentRunInputDto);
    else await this.checkDocumentIngest(user, input as DocumentIngestInputDto);
    const stored = await this.tasks.create({
      id: randomUUID(),
      userId: user.id,
      type: dto.type,
      input: { ...input },
      idempotencyKey: dto.idempotency_key ?? null,
    });
    if (!stored.created) return stored;
    try {
      await this.queue.add(stored.task.id);
    } catch (err) {
      // Never queued: the record goes too, so a retry (with the same key) is not answered with a task that never runs.
      await this.tasks.delete(stored.task.id);
      if (isRedisUnavailable(err)) throw new ServiceUnavailable('The task queue is unavailable', 1);
      throw err;
    }
    return stored;
  }

  async get(user: AuthUser, id: string): Promise<TaskEntity> {
    const task = await this.tasks.findOwned(user.id, id);
    if (!task) throw new TaskNotFound();
    return task;
  }

  list(user: AuthUser, page: { limit: number; offset: number }): Promise<TaskEntity[]> {
    return this.tasks.list(user.id, page.limit, page.offset);
  }

  /**
   * A queued task never starts; a running one is stopped wherever it runs (an `agent.run` through the runs
   * service, which stops its run on any instance). The record says `cancelled` at once.
   */
  async cancel(user: AuthUser, id: string): Promise<{ cancelled: boolean }> {
    const found = await this.tasks.cancel(user.id, id);
    if (!found) throw new TaskNotFound();
    if (found.was === 'queued') await this.queue.remove(id);
    if (found.was !== 'queued' && found.was !== 'active') return { cancelled: false };
    await this.events.publish(TASK_CANCELLED, { taskId: id });
    if (found.was === 'active' && found.runId) {
      await this.runs
        .cancel(user, found.runId)
        .catch((err: unknown) =>
          this.logger.warn({ msg: "could not cancel a task's run", task_id: id, error: String(err) }),
        );
    }
    return { cancelled: true };
  }

  private async validInput(dto: CreateTaskDto): Promise<object> {
    try {
      return (await this.validation.transform(dto.input, {
        type: 'body',
        metatype: INPUTS[dto.type],
        data: '',
      })) as object;
    } catch (err) {
      if (err instanceof ValidationFailedError) throw new ValidationFailedError(prefixed(err.errors ?? []));
      throw err;
    }
  }

  private async checkAgentRun(user: AuthUser, input: AgentRunInputDto): Promise<void> {
    const last = input.messages.length - 1;
    if (input.messages[last].role !== 'user') {
      throw new ValidationFailedError([
        { field: `input.messages.${last}.role`, message: 'the last message must be from the user' },
      ]);
    }
    if (input.agent) {
      try {
        this.agents.get(input.agent);
      } catch (err) {
        if (err instanceof AgentNotFound) {
          throw new ValidationFailedError([{ field: 'input.agent', message: `unknown agent "${input.agent}"` }]);
        }
        throw err;
      }
    }
    if (input.conversation_id) await this.access.require(user.id, input.conversation_id, 'write');
    await this.limiter.consume(user.id);
  }

  private async checkDocumentIngest(user: AuthUser, input: DocumentIngestInputDto): Promise<void> {
    if ((input.content === undefined) === (input.upload_id === undefined)) {
      throw new ValidationFailedError([{ field: 'input', message: 'give either content or upload_id' }]);
    }
    if (input.upload_id && !(await this.uploads.findOwned(user.id, input.upload_id))) throw new UploadNotFound();
  }
}

function prefixed(errors: FieldError[]): FieldError[] {
  return errors.map((e) => ({ field: e.field ? `input.${e.field}` : 'input', message: e.message }));
}
