import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiExtraModels,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../common/decorators/authenticated.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { ProblemResponseDto } from '../common/errors/problem-response.dto.js';
import { ThrottleGroup } from '../common/throttling/throttle-group.decorator.js';
import { AppConfig } from '../config/app-config.js';
import { ValidationFailedError } from '../common/errors/app.error.js';
import { UuidParam } from '../common/validation/uuid-param.decorator.js';
import { ChatService } from './chat.service.js';
import { ConversationsService } from './conversations.service.js';
import { ChatRequestDto } from './dto/chat-request.dto.js';
import { AcceptedRunDto, CancelResponseDto, ChatResponseDto, HistoryMessageDto } from './dto/chat-responses.dto.js';
import { HistoryQueryDto } from './dto/history-query.dto.js';
import { streamEvents } from './sse/stream-events.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The `Idempotency-Key` header, checked; shared by the chat routes. */
export function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(value)) {
    throw new ValidationFailedError([
      { field: 'Idempotency-Key', message: 'must be 1 to 200 visible ASCII characters' },
    ]);
  }
  return value;
}

const SSE_DESCRIPTION = [
  '`stream: true` (default): `text/event-stream`. Each event has `id` (increasing), `event` and `data` (JSON with the same `type`).',
  'Events: `run_started {conversation_id, run_id, agent, model}`, `text_delta {text}`, `tool_call {id, name, input}`,',
  '`tool_result {id, name, result | error, duration_ms}`, `usage {input_tokens, output_tokens}`,',
  '`error {code, message, recoverable}`, `run_finished {status: completed|cancelled|failed, stop_reason}`; last frame `data: [DONE]`.',
  'A `: ping` comment is sent every 15 s while idle. `stream: false`: one JSON `ChatResponseDto`.',
].join(' ');

@ApiTags('chat')
@Authenticated()
@ApiExtraModels(ChatResponseDto)
@Controller('chat')
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly conversations: ConversationsService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @ThrottleGroup('chat')
  @ApiOperation({ summary: 'Send a message to an agent; the answer streams over SSE', description: SSE_DESCRIPTION })
  @ApiProduces('text/event-stream', 'application/json')
  @ApiBody({
    type: ChatRequestDto,
    // Runs as it stands: a new conversation with the default agent and its own model.
    examples: {
      json: {
        summary: 'A new conversation, one JSON answer',
        value: {
          messages: [{ role: 'user', content: 'What does my onboarding guide say about VPN access?' }],
          stream: false,
        },
      },
      stream: {
        summary: 'A new conversation, streamed as SSE',
        value: { messages: [{ role: 'user', content: 'What does my onboarding guide say about VPN access?' }] },
      },
    },
  })
  @ApiOkResponse({
    description: 'SSE stream, or the JSON answer when `stream` is false',
    headers: {
      'Idempotent-Replayed': {
        description: '`true` when a repeated Idempotency-Key answered from the first attempt’s run',
        schema: { type: 'string', enum: ['true'] },
      },
    },
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example:
          'id: 1\nevent: run_started\ndata: {"type":"run_started","conversation_id":"…","run_id":"…","agent":"assistant","model":"claude-sonnet-5-5"}\n\n' +
          'id: 2\nevent: text_delta\ndata: {"type":"text_delta","text":"Hello"}\n\n' +
          'id: 3\nevent: run_finished\ndata: {"type":"run_finished","status":"completed","stop_reason":"end_turn"}\n\ndata: [DONE]\n\n',
      },
      'application/json': { schema: { $ref: getSchemaPath(ChatResponseDto) } },
    },
  })
  @ApiBadRequestResponse({
    type: ProblemResponseDto,
    description: 'Invalid messages, unknown agent, model not allowed',
  })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'conversation_id is not one of yours' })
  @ApiConflictResponse({
    type: ProblemResponseDto,
    description: 'A run is already active in this conversation, or another message landed while this one was stored',
  })
  @ApiTooManyRequestsResponse({ type: ProblemResponseDto, description: 'RATE_LIMIT_CHAT_PER_MINUTE exceeded' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Retry-safe requests: a repeated key returns the first attempt’s run (replayed) instead of starting another; 409 while it is still running.',
  })
  @ApiAcceptedResponse({
    type: AcceptedRunDto,
    description: '`background: true`: the run goes on with no client; `Location` is its record, /api/runs/{id}',
  })
  async send(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChatRequestDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const run = await this.chat.start(user, dto, {
      idempotencyKey: parseIdempotencyKey(idempotencyKey),
      address: req.ip,
    });
    if (run.replayed) res.setHeader('Idempotent-Replayed', 'true');
    if (dto.background) {
      const body: AcceptedRunDto = {
        conversation_id: run.conversationId,
        run_id: run.runId,
        status: run.status === 'queued' ? 'queued' : 'running',
      };
      res.status(202).location(`/api/runs/${run.runId}`).json(body);
      return;
    }
    const follow = new AbortController();
    const clientGone = () => this.chat.clientLeft(run);
    if (dto.stream === false) {
      res.on('close', () => {
        if (res.writableFinished) return;
        follow.abort();
        clientGone();
      });
      res.status(200).json(await this.chat.collect(run, follow.signal));
      return;
    }
    streamEvents(res, await this.chat.events(run, follow.signal), {
      pingMs: this.config.ssePingMs,
      abort: follow,
      onClientGone: clientGone,
    });
  }

  @Post(':conversationId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop the active run; the partial answer is kept with status `cancelled`' })
  @ApiOkResponse({ type: CancelResponseDto })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  cancel(@CurrentUser() user: AuthUser, @UuidParam('conversationId') id: string): Promise<CancelResponseDto> {
    return this.conversations.cancel(user, id);
  }

  @Get(':conversationId/history')
  @ApiOperation({
    summary: 'Messages of a conversation, in order',
    description:
      'The newest `limit` messages (default 200), oldest first. When older ones exist, the `Link` header points ' +
      'at the previous page (`rel="next"`, with `before` set to the oldest message here).',
  })
  @ApiOkResponse({ type: [HistoryMessageDto] })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  async history(
    @CurrentUser() user: AuthUser,
    @UuidParam('conversationId') id: string,
    @Query() query: HistoryQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<HistoryMessageDto[]> {
    const page = await this.conversations.history(user, id, query);
    if (page.next) {
      res.setHeader('Link', `</api/chat/${id}/history?limit=${query.limit}&before=${page.next}>; rel="next"`);
    }
    return page.messages;
  }
}
