import type { LlmProviderName } from '../../config/app-config.js';

export type { LlmProviderName } from '../../config/app-config.js';

/** Messages in the Messages API shape; the runtime builds them, providers translate them for their API. */
export type LlmContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean };

export interface LlmMessage {
  role: 'user' | 'assistant';
  content: LlmContentBlock[];
}

export interface LlmToolSpec {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

export interface LlmRequest {
  model: string;
  /** The agent's prompt first, then (separately, so the first block stays cacheable) the client context block. */
  system: string[];
  messages: LlmMessage[];
  tools: LlmToolSpec[];
  temperature: number;
  maxTokens: number;
}

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'pause_turn' | 'refusal' | string;

/** What a provider streams. Tool calls arrive whole (input parsed) once their block is complete. */
export type LlmEvent =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'usage'; inputTokens: number; outputTokens: number }
  | { type: 'stop'; stopReason: StopReason };

export type LlmErrorCode =
  | 'UPSTREAM_OVERLOADED'
  | 'UPSTREAM_RATE_LIMITED'
  | 'UPSTREAM_ERROR'
  | 'UPSTREAM_AUTH'
  | 'UPSTREAM_BAD_REQUEST'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_INVALID_RESPONSE';

/** A provider failure, already classified for the client's `error` event. */
export class LlmError extends Error {
  constructor(
    readonly code: LlmErrorCode,
    message: string,
    readonly recoverable: boolean,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

/** One streaming interface for every model backend. Implementations must stop promptly when `signal` aborts. */
export interface LlmProvider {
  readonly name: LlmProviderName;
  stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmEvent>;
}
