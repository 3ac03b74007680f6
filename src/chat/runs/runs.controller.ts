import { Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import {
  ApiGoneResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../../auth/auth-user.js';
import { Authenticated } from '../../common/decorators/authenticated.decorator.js';
import { CurrentUser } from '../../common/decorators/current-user.decorator.js';
import { ValidationFailedError } from '../../common/errors/app.error.js';
import { ProblemResponseDto } from '../../common/errors/problem-response.dto.js';
import { UuidParam } from '../../common/validation/uuid-param.decorator.js';
import { AppConfig } from '../../config/app-config.js';
import { CancelResponseDto, RunDto } from '../dto/chat-responses.dto.js';
import { RunEventsQueryDto } from '../dto/run-events-query.dto.js';
import { streamEvents } from '../sse/stream-events.js';
import { RunsService } from './runs.service.js';

const EVENT_ID = /^\d{1,9}$/;

/** `Last-Event-ID` (what a browser resends on reconnect) wins over `?after=`; neither, or 0, is from the start. */
function resumeAfter(lastEventId: string | undefined, after: number | undefined): number {
  if (lastEventId === undefined || lastEventId === '') return after ?? 0;
  if (!EVENT_ID.test(lastEventId.trim())) {
    throw new ValidationFailedError([{ field: 'Last-Event-ID', message: 'Last-Event-ID must be an event id' }]);
  }
  return Number(lastEventId.trim());
}

@ApiTags('runs')
@Authenticated()
@Controller('runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly config: AppConfig,
  ) {}

  @Get(':runId')
  @ApiOperation({ summary: 'A run: its status, usage, timing and the id of its last event' })
  @ApiOkResponse({ type: RunDto })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'No such run of yours' })
  get(@CurrentUser() user: AuthUser, @UuidParam('runId') runId: string): Promise<RunDto> {
    return this.runs.get(user, runId);
  }

  @Get(':runId/events')
  @ApiOperation({
    summary: "A run's events over SSE: replayed with their original ids after the one given, then live",
    description:
      'Resume with the `Last-Event-ID` header (browsers resend it on reconnect; it wins over `after`) or `?after=`. ' +
      'The stream ends with `run_finished` and `data: [DONE]`; a finished run replays and ends. Works on any ' +
      'instance. Past RUN_EVENTS_TTL_S after the run ended, a resume from an id is 410 (the history keeps the answer).',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id of the last event you received' })
  @ApiOkResponse({
    description: 'SSE stream of the run’s events',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'No such run of yours' })
  @ApiGoneResponse({ type: ProblemResponseDto, description: 'RUN_EVENTS_EXPIRED: the events are no longer kept' })
  async events(
    @CurrentUser() user: AuthUser,
    @UuidParam('runId') runId: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query() query: RunEventsQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const follow = new AbortController();
    const events = await this.runs.events(user, runId, resumeAfter(lastEventId, query.after), follow.signal);
    streamEvents(res, events, { pingMs: this.config.ssePingMs, abort: follow });
  }

  @Post(':runId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop the run, wherever it runs; its partial answer is kept with status `cancelled`' })
  @ApiOkResponse({ type: CancelResponseDto })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'No such run of yours' })
  cancel(@CurrentUser() user: AuthUser, @UuidParam('runId') runId: string): Promise<CancelResponseDto> {
    return this.runs.cancel(user, runId);
  }
}
