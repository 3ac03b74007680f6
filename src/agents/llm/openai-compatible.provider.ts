import type { OnApplicationShutdown } from '@nestjs/common';
import OpenAI from 'openai';
import type { Stream } from 'openai/core/streaming';
import type { AppConfig } from '../../config/app-config.js';
import {
  LlmError,
  type LlmEvent,
  type LlmMessage,
  type LlmProvider,
  type LlmRequest,
  type StopReason,
} from './llm-provider.js';
import { ModelHttpClient } from './model-http-client.js';
import { upstreamHttpError, upstreamInvalid, upstreamTimeout, upstreamUnreachable } from './upstream-error.js';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;
type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type Params = OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming;

/** Chat Completions' finish reasons in the runtime's (Messages API) terms. */
const STOP_REASONS: Record<string, StopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

/**
 * Any server speaking OpenAI's Chat Completions (OpenAI, vLLM, Ollama, LiteLLM…) through the official `openai` SDK:
 * streaming, tool calls, abort signal, usage (`stream_options.include_usage`; servers that ignore it report none).
 * Sends `max_tokens` and `temperature`, the fields every such server reads. As with Anthropic, the SDK retries
 * (LLM_MAX_RETRIES) only a failed initial request; an error mid-stream is reported, never replayed.
 */
export class OpenAiCompatibleProvider implements LlmProvider, OnApplicationShutdown {
  readonly name = 'openai-compatible' as const;
  private readonly http = new ModelHttpClient();
  private readonly client: OpenAI;

  constructor(config: AppConfig) {
    this.client = new OpenAI({
      // Local servers (Ollama, vLLM) take no key, but the SDK requires one; they ignore what it sends.
      apiKey: config.openai.apiKey ?? 'unused',
      baseURL: config.openai.baseURL ?? null,
      maxRetries: config.llm.maxRetries,
      timeout: config.llm.timeoutMs,
      // Never follows a redirect: the API key header is never resent to wherever a 3xx points.
      fetch: this.http.fetch,
    });
  }

  onApplicationShutdown(): Promise<void> {
    return this.http.close();
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmEvent> {
    let stream: Stream<Chunk> | undefined;
    const calls = new Map<number, { id: string; name: string; args: string }>();
    let finishReason: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let complete = false;
    try {
      stream = await this.client.chat.completions.create(toParams(request), { signal });
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.delta?.content) yield { type: 'text', text: choice.delta.content };
        for (const part of choice.delta?.tool_calls ?? []) {
          const call = calls.get(part.index) ?? { id: '', name: '', args: '' };
          calls.set(part.index, call);
          if (part.id) call.id = part.id;
          // The name comes whole (some servers repeat it in every piece); the arguments come in pieces.
          if (part.function?.name) call.name = part.function.name;
          if (part.function?.arguments) call.args += part.function.arguments;
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      complete = true;
      // The SDK ends iteration quietly when the connection closes early; an answer without its finish reason
      // was cut short, and must not pass for a finished one.
      if (finishReason === null) {
        if (signal.aborted) return;
        throw new LlmError(
          'UPSTREAM_INVALID_RESPONSE',
          'The model provider ended the stream before the answer was complete',
          true,
        );
      }
      const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
      for (const call of toolCalls) {
        if (!call.id || !call.name) throw upstreamInvalid();
        yield { type: 'tool_use', id: call.id, name: call.name, input: parseArguments(call.args, call.name) };
      }
      if (usage) yield { type: 'usage', inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens };
      // Some servers say `stop` after tool calls; the calls are what the runtime must act on.
      yield { type: 'stop', stopReason: toolCalls.length ? 'tool_use' : (STOP_REASONS[finishReason] ?? finishReason) };
    } catch (err) {
      if (signal.aborted) return;
      throw toLlmError(err);
    } finally {
      // Leaving the loop early (cancel, consumer error) must close the upstream connection.
      if (!complete) stream?.controller.abort();
    }
  }
}

function parseArguments(json: string, name: string): unknown {
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json);
  } catch {
    throw new LlmError('UPSTREAM_INVALID_RESPONSE', `The model sent invalid JSON input for tool ${name}`, true);
  }
}

function toParams(r: LlmRequest): Params {
  const system = r.system.join('\n\n');
  return {
    model: r.model,
    max_tokens: r.maxTokens,
    temperature: r.temperature,
    stream: true,
    stream_options: { include_usage: true },
    messages: [...(system ? [{ role: 'system' as const, content: system }] : []), ...r.messages.flatMap(toMessages)],
    ...(r.tools.length
      ? {
          tools: r.tools.map((t) => ({
            type: 'function' as const,
            function: { name: t.name, description: t.description, parameters: t.input_schema },
          })),
        }
      : {}),
  };
}

/**
 * One runtime message (Messages API blocks) as Chat Completions messages: an assistant turn's tool calls go in its
 * `tool_calls`, and each tool result becomes a `tool` message of its own, right after the turn that asked for it.
 */
export function toMessages(message: LlmMessage): Message[] {
  const text = message.content
    .filter((b) => b.type === 'text')
    .map((b) => b.text)
    .join('');
  if (message.role === 'assistant') {
    const calls = message.content.filter((b) => b.type === 'tool_use');
    if (!calls.length) return [{ role: 'assistant', content: text }];
    return [
      {
        role: 'assistant',
        content: text || null,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function' as const,
          function: { name: c.name, arguments: JSON.stringify(c.input ?? {}) },
        })),
      },
    ];
  }
  const results: Message[] = message.content
    .filter((b) => b.type === 'tool_result')
    .map((b) => ({ role: 'tool' as const, tool_call_id: b.tool_use_id, content: b.content }));
  return text ? [...results, { role: 'user', content: text }] : results;
}

function toLlmError(err: unknown): LlmError {
  if (err instanceof LlmError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError) return upstreamTimeout();
  if (err instanceof OpenAI.APIConnectionError) return upstreamUnreachable();
  if (err instanceof OpenAI.APIError) return upstreamHttpError(err.status, err.type ?? undefined);
  return upstreamInvalid();
}
