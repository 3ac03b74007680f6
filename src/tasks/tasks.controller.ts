import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../common/decorators/authenticated.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { ProblemResponseDto } from '../common/errors/problem-response.dto.js';
import { PaginationQueryDto } from '../common/validation/pagination-query.dto.js';
import { UuidParam } from '../common/validation/uuid-param.decorator.js';
import { AgentRunInputDto } from './dto/agent-run-input.dto.js';
import { CreateTaskDto } from './dto/create-task.dto.js';
import { DocumentIngestInputDto } from './dto/document-ingest-input.dto.js';
import { AcceptedTaskDto, CancelTaskResponseDto, TaskDto } from './dto/task.dto.js';
import { toAcceptedTaskDto, toTaskDto } from './dto/task.mapper.js';
import { TasksService } from './tasks.service.js';

@ApiTags('tasks')
@Authenticated()
@ApiExtraModels(AgentRunInputDto, DocumentIngestInputDto)
@Controller('tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue a task: an agent run or a document ingestion in the background',
    description:
      'Answers at once with the queued task; `Location` is its record (`GET /api/tasks/{id}`: status, progress, ' +
      'result). A repeated `idempotency_key` returns the first task (header `Idempotent-Replayed: true`). ' +
      '`agent.run` counts against RATE_LIMIT_CHAT_PER_MINUTE.',
  })
  @ApiAcceptedResponse({ type: AcceptedTaskDto })
  @ApiBadRequestResponse({ type: ProblemResponseDto, description: 'Unknown type, or an input invalid for its type' })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'conversation_id or upload_id is not one of yours' })
  @ApiTooManyRequestsResponse({ type: ProblemResponseDto, description: 'agent.run over the chat rate limit' })
  async submit(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateTaskDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AcceptedTaskDto> {
    const { task, created } = await this.tasks.submit(user, dto);
    res.location(`/api/tasks/${task.id}`);
    if (!created) res.setHeader('Idempotent-Replayed', 'true');
    return toAcceptedTaskDto(task);
  }

  @Get()
  @ApiOperation({ summary: 'Your tasks, newest first' })
  @ApiOkResponse({ type: [TaskDto] })
  @ApiBadRequestResponse({ type: ProblemResponseDto, description: 'limit or offset out of range' })
  async list(@CurrentUser() user: AuthUser, @Query() page: PaginationQueryDto): Promise<TaskDto[]> {
    return (await this.tasks.list(user, page)).map(toTaskDto);
  }

  @Get(':taskId')
  @ApiOperation({ summary: 'A task: status, progress, result or error, attempts, timing' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'No such task of yours' })
  async get(@CurrentUser() user: AuthUser, @UuidParam('taskId') id: string): Promise<TaskDto> {
    return toTaskDto(await this.tasks.get(user, id));
  }

  @Post(':taskId/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a task: a queued one never starts, a running one is stopped (an agent run keeps its prefix)',
  })
  @ApiOkResponse({ type: CancelTaskResponseDto })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'No such task of yours' })
  cancel(@CurrentUser() user: AuthUser, @UuidParam('taskId') id: string): Promise<CancelTaskResponseDto> {
    return this.tasks.cancel(user, id);
  }
}
