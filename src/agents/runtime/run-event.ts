import type { ToolErrorResult } from '../tools/tool.error.js';

export type RunStatus = 'completed' | 'cancelled' | 'failed';

/** What the runtime reports while it runs; the chat layer persists these and writes them as SSE events. */
export type RunEvent =
  | { type: 'text_delta'; text: string }
  | { type: 'tool_call'; id: string; name: string; input: unknown }
  | {
      type: 'tool_result';
      id: string;
      name: string;
      input: unknown;
      result?: unknown;
      error?: ToolErrorResult;
      duration_ms: number;
    }
  | { type: 'usage'; input_tokens: number; output_tokens: number }
  | { type: 'error'; code: string; message: string; recoverable: boolean }
  | { type: 'finished'; status: RunStatus; stop_reason: string | null };
