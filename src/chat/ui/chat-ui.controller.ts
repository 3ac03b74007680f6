import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthUser } from '../../auth/auth-user.js';
import { Authenticated } from '../../common/decorators/authenticated.decorator.js';
import { CurrentUser } from '../../common/decorators/current-user.decorator.js';
import { ValidationFailedError } from '../../common/errors/app.error.js';
import { ProblemResponseDto } from '../../common/errors/problem-response.dto.js';
import { ThrottleGroup } from '../../common/throttling/throttle-group.decorator.js';
import { AppConfig } from '../../config/app-config.js';
import { parseIdempotencyKey } from '../chat.controller.js';
import { ChatUiService } from './chat-ui.service.js';
import { ChatService } from '../chat.service.js';
import { RunsService } from '../runs/runs.service.js';
import { CHAT_ID, ChatUiRequestDto } from './dto/chat-ui-request.dto.js';
import { streamUiMessages } from './ui-message-stream.js';

const DESCRIPTION = [
  'For the Vercel AI SDK: `useChat()` with `new DefaultChatTransport({ api: "/api/chat/ui" })` posts here.',
  'Answers with the UI message stream protocol v1 (`x-vercel-ai-ui-message-stream: v1`): `start` (metadata:',
  '`conversation_id`, `run_id`, `agent`, `model`), `start-step`, `text-start`/`text-delta`/`text-end`,',
  '`tool-input-available`, `tool-output-available`/`tool-output-error` (dynamic tools), `finish-step`, `error`,',
  '`finish` (metadata: `status`, `stop_reason`, `usage`, `error`), then `data: [DONE]`.',
].join(' ');

@ApiTags('chat')
@Authenticated()
@Controller('chat/ui')
export class ChatUiController {
  constructor(
    private readonly chatUi: ChatUiService,
    private readonly chat: ChatService,
    private readonly runs: RunsService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @ThrottleGroup('chat')
  @ApiOperation({
    summary: 'Chat from the Vercel AI SDK (useChat): the answer as a UI message stream',
    description: DESCRIPTION,
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'UI message stream (SSE)',
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example:
          'data: {"type":"start","messageId":"…","messageMetadata":{"conversation_id":"…","run_id":"…"}}\n\n' +
          'data: {"type":"start-step"}\n\ndata: {"type":"text-start","id":"text-0"}\n\n' +
          'data: {"type":"text-delta","id":"text-0","delta":"Hello"}\n\ndata: {"type":"text-end","id":"text-0"}\n\n' +
          'data: {"type":"finish-step"}\n\ndata: {"type":"finish","finishReason":"stop"}\n\ndata: [DONE]\n\n',
      },
    },
  })
  @ApiBadRequestResponse({ type: ProblemResponseDto, description: 'Invalid body, no user turn last, unknown agent' })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'The chat id is another user’s conversation' })
  @ApiConflictResponse({ type: ProblemResponseDto, description: 'A run is already active in this conversation' })
  @ApiTooManyRequestsResponse({ type: ProblemResponseDto, description: 'Chat rate limit or concurrent runs' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'As on POST /api/chat' })
  async send(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChatUiRequestDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const run = await this.chatUi.start(user, dto, {
      idempotencyKey: parseIdempotencyKey(idempotencyKey),
      address: req.ip,
    });
    if (run.replayed) res.setHeader('Idempotent-Replayed', 'true');
    const follow = new AbortController();
    streamUiMessages(res, await this.chat.events(run, follow.signal), {
      pingMs: this.config.ssePingMs,
      abort: follow,
      onClientGone: () => this.chat.clientLeft(run),
    });
  }

  @Get(':id/stream')
  @ApiOperation({
    summary: "Resume a chat's running answer (useChat({ resume: true })): the UI message stream, or 204",
    description:
      'The run the chat is answering now, from its start (the AI SDK replays a resumed stream), then live; 204 ' +
      'when no run is active (or the chat is not one of yours). Leaving this stream never cancels the run.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'UI message stream (SSE)',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiNoContentResponse({ description: 'No run is active in this chat' })
  async resume(@CurrentUser() user: AuthUser, @Param('id') id: string, @Res() res: Response): Promise<void> {
    const runId = await this.chatUi.activeRun(user, parseChatId(id));
    if (!runId) {
      res.status(204).end();
      return;
    }
    const follow = new AbortController();
    streamUiMessages(res, await this.runs.events(user, runId, 0, follow.signal), {
      pingMs: this.config.ssePingMs,
      abort: follow,
    });
  }
}

/** The AI SDK's chat id in the path, validated as in the body. */
function parseChatId(id: string): string {
  if (!CHAT_ID.test(id)) {
    throw new ValidationFailedError([{ field: 'id', message: 'id must be 1 to 128 letters, digits, - or _' }]);
  }
  return id;
}
