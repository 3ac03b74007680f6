import type { TaskEntity } from '../entities/task.entity.js';
import type { AcceptedTaskDto, TaskDto } from './task.dto.js';

export function toAcceptedTaskDto(task: TaskEntity): AcceptedTaskDto {
  return { id: task.id, type: task.type, status: task.status, created_at: task.createdAt.toISOString() };
}

export function toTaskDto(task: TaskEntity): TaskDto {
  return {
    ...toAcceptedTaskDto(task),
    progress: task.progress,
    result: task.status === 'completed' ? task.result : null,
    error: task.status === 'failed' ? task.error : null,
    attempts: task.attempts,
    started_at: task.startedAt?.toISOString() ?? null,
    finished_at: task.finishedAt?.toISOString() ?? null,
  };
}
