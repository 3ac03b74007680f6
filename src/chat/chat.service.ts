import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import type { LoggedRunEvent } from '../runs/run-stream-event.js';
import { ChatRequestDto } from './dto/chat-request.dto.js';
import { ChatResponseDto, ToolCallDto } from './dto/chat-responses.dto.js';
import { RunControl } from '../runs/run-control.js';
import { RunFeed } from './runs/run-feed.js';
import { RunPipeline, type AcceptedRun } from './runs/run-pipeline.js';

/** `POST /api/chat`: a chat request becomes a run of the pipeline; its answer is read from the run's events. */
@Injectable()
export class ChatService {
  constructor(
    private readonly pipeline: RunPipeline,
    private readonly feed: RunFeed,
    private readonly control: RunControl,
  ) {}

  /** The requester's connection dropped before the run finished: its `on_disconnect` decides. */
  clientLeft(run: AcceptedRun): void {
    if (run.onDisconnect === 'cancel' && !run.replayed) void this.control.stop(run.runId, 'client_disconnected');
  }

  start(
    user: AuthUser,
    dto: ChatRequestDto,
    client: { idempotencyKey?: string; address?: string },
  ): Promise<AcceptedRun> {
    return this.pipeline.start({
      userId: user.id,
      address: client.address,
      messages: dto.messages,
      conversationId: dto.conversation_id,
      agent: dto.agent,
      model: dto.model,
      context: dto.context,
      idempotencyKey: client.idempotencyKey,
      background: dto.background,
      onDisconnect: dto.on_disconnect,
      ifBusy: dto.if_busy,
    });
  }

  /** The run's events from the first, live until it finishes. */
  events(run: AcceptedRun, signal: AbortSignal): Promise<AsyncIterable<LoggedRunEvent>> {
    return this.feed.follow({ id: run.runId }, 0, signal);
  }

  /** Follows a run to its end and returns the JSON form of the answer (`stream: false`). */
  async collect(run: AcceptedRun, signal: AbortSignal): Promise<ChatResponseDto> {
    let text = '';
    const inputs = new Map<string, unknown>();
    const toolCalls: ToolCallDto[] = [];
    const response: ChatResponseDto = {
      conversation_id: run.conversationId,
      run_id: run.runId,
      status: 'failed',
      message: { role: 'assistant', content: '' },
      tool_calls: toolCalls,
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    for await (const { event } of await this.events(run, signal)) {
      if (event.type === 'text_delta') text += event.text;
      else if (event.type === 'tool_call') inputs.set(event.id, event.input);
      else if (event.type === 'tool_result') {
        const { type: _type, ...call } = event;
        toolCalls.push({ ...call, input: inputs.get(event.id) ?? null });
      } else if (event.type === 'usage') {
        response.usage = { input_tokens: event.input_tokens, output_tokens: event.output_tokens };
      } else if (event.type === 'error') {
        response.error = { code: event.code, message: event.message, recoverable: event.recoverable };
      } else if (event.type === 'run_finished') response.status = event.status;
    }
    response.message.content = text;
    return response;
  }
}
