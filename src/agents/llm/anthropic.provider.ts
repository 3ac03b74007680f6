import Anthropic from '@anthropic-ai/sdk';
import type { Stream } from '@anthropic-ai/sdk/streaming';
import type { OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { LlmError, type LlmEvent, type LlmProvider, type LlmRequest } from './llm-provider.js';
import { ModelHttpClient } from './model-http-client.js';
import { upstreamHttpError, upstreamInvalid, upstreamTimeout, upstreamUnreachable } from './upstream-error.js';

type Params = Anthropic.MessageCreateParamsStreaming;

/**
 * Anthropic's Messages API through the official SDK: streaming, tool use, abort signal, usage, prompt caching
 * on the system prompt and tool list. `temperature` is not sent: the Messages API of SDK 1.12 no longer takes it
 * (current models sample on their own), so an agent's `temperature` is kept for other providers only. The SDK retries (LLM_MAX_RETRIES) only failed initial requests, i.e.
 * before the first token; an error mid-stream is reported, never replayed.
 */
export class AnthropicProvider implements LlmProvider, OnApplicationShutdown {
  readonly name = 'anthropic' as const;
  private readonly http = new ModelHttpClient();
  private readonly client: Anthropic;

  constructor(config: AppConfig) {
    this.client = new Anthropic({
      apiKey: config.anthropic.apiKey,
      baseURL: config.anthropic.baseURL ?? null,
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
    // The raw event stream rather than `messages.stream()`: that helper rebuilds the whole message and emits
    // listener events for every delta, none of which this relay reads.
    let stream: Stream<Anthropic.RawMessageStreamEvent> | undefined;
    const toolInputs = new Map<number, { id: string; name: string; json: string }>();
    let inputTokens = 0;
    let complete = false;
    try {
      stream = await this.client.messages.create(toParams(request), { signal });
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start':
            inputTokens = usageInput(event.message.usage);
            break;
          case 'content_block_start':
            if (event.content_block.type === 'tool_use') {
              toolInputs.set(event.index, { id: event.content_block.id, name: event.content_block.name, json: '' });
            }
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta') yield { type: 'text', text: event.delta.text };
            else if (event.delta.type === 'input_json_delta') {
              const tool = toolInputs.get(event.index);
              if (tool) tool.json += event.delta.partial_json;
            }
            break;
          case 'content_block_stop': {
            const tool = toolInputs.get(event.index);
            if (tool) {
              toolInputs.delete(event.index);
              yield { type: 'tool_use', id: tool.id, name: tool.name, input: parseToolInput(tool.json, tool.name) };
            }
            break;
          }
          case 'message_delta':
            yield { type: 'usage', inputTokens, outputTokens: event.usage.output_tokens ?? 0 };
            if (event.delta.stop_reason) yield { type: 'stop', stopReason: event.delta.stop_reason };
            break;
          case 'message_stop':
            complete = true;
            break;
        }
      }
      // The SDK ends iteration quietly when the connection closes early; a message without its stop event is
      // cut short, and must not pass for a finished answer.
      if (!complete && !signal.aborted) {
        throw new LlmError(
          'UPSTREAM_INVALID_RESPONSE',
          'The model provider ended the stream before the message was complete',
          true,
        );
      }
    } catch (err) {
      if (signal.aborted) return;
      throw toLlmError(err);
    } finally {
      // Leaving the loop early (cancel, consumer error) must close the upstream connection.
      if (!complete) stream?.controller.abort();
    }
  }
}

function usageInput(usage: Anthropic.Usage): number {
  return (usage.input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0);
}

function parseToolInput(json: string, name: string): unknown {
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json);
  } catch {
    throw new LlmError('UPSTREAM_INVALID_RESPONSE', `The model sent invalid JSON input for tool ${name}`, true);
  }
}

function toParams(r: LlmRequest): Params {
  const system: Anthropic.TextBlockParam[] = r.system.map((text) => ({ type: 'text', text }));
  // Cache the stable prefix: the agent's prompt (first block) and the tool list; the context block varies.
  if (system[0]) system[0].cache_control = { type: 'ephemeral' };
  const tools: Anthropic.Tool[] = r.tools.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: t.input_schema as Anthropic.Tool.InputSchema,
  }));
  if (tools.length) tools[tools.length - 1].cache_control = { type: 'ephemeral' };
  return {
    model: r.model,
    max_tokens: r.maxTokens,
    stream: true,
    system,
    messages: r.messages as Anthropic.MessageParam[],
    ...(tools.length ? { tools } : {}),
  };
}

export function toLlmError(err: unknown): LlmError {
  if (err instanceof LlmError) return err;
  if (err instanceof Anthropic.APIConnectionTimeoutError) return upstreamTimeout();
  if (err instanceof Anthropic.APIConnectionError) return upstreamUnreachable();
  if (err instanceof Anthropic.APIError) {
    const type =
      (err.error as { error?: { type?: string } } | undefined)?.error?.type ?? (err as { type?: string }).type;
    return upstreamHttpError(err.status, type);
  }
  return upstreamInvalid();
}
