import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../../auth/auth-user.js';
import { Authenticated } from '../../common/decorators/authenticated.decorator.js';
import { CurrentUser } from '../../common/decorators/current-user.decorator.js';
import { ProblemResponseDto } from '../../common/errors/problem-response.dto.js';
import { ThrottleGroup } from '../../common/throttling/throttle-group.decorator.js';
import { AppConfig } from '../../config/app-config.js';
import { parseIdempotencyKey } from '../chat.controller.js';
import { ChatUiService } from './chat-ui.service.js';
import { ChatUiRequestDto } from './dto/chat-ui-request.dto.js';
import { startUiMessageStream } from './ui-message-stream.js';

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
    @Res() res: Response,
  ): Promise<void> {
    const run = await this.chatUi.start(user, dto, parseIdempotencyKey(idempotencyKey));
    if (run.replayed) res.setHeader('Idempotent-Replayed', 'true');
    startUiMessageStream(run, res, this.config.ssePingMs);
  }
}
