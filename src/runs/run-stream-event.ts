/** Every status a run can be in. `waiting`: paused on an approval; `queued`: behind the conversation's active run. */
export type RunStatus = 'queued' | 'running' | 'waiting' | 'completed' | 'cancelled' | 'failed' | 'interrupted';

export const ACTIVE_RUN_STATUSES = ['queued', 'running', 'waiting'] as const satisfies readonly RunStatus[];

export type FinishedRunStatus = Exclude<RunStatus, (typeof ACTIVE_RUN_STATUSES)[number]>;

export interface ToolErrorData {
  error: string;
  code: string;
  recoverable: boolean;
}

/**
 * A run's events as clients see them: the SSE `event:` names and `data:` fields, and the WebSocket frames. Each
 * carries its own `type`. The names and fields are the public contract (ARCHITECTURE.md, Chat and Runs).
 */
export type RunStreamEvent =
  | { type: 'run_queued'; run_id: string; position: number }
  | { type: 'run_started'; conversation_id: string; run_id: string; agent: string; model: string }
  | { type: 'text_delta'; text: string }
  | { type: 'tool_call'; id: string; name: string; input: unknown }
  | {
      type: 'tool_result';
      id: string;
      name: string;
      result?: unknown;
      error?: ToolErrorData;
      duration_ms: number;
    }
  | { type: 'usage'; input_tokens: number; output_tokens: number }
  | { type: 'error'; code: string; message: string; recoverable: boolean }
  | { type: 'run_finished'; status: FinishedRunStatus; stop_reason: string | null };

/** An event as its run's log holds it: `id` is 1, 2, 3… within the run, the SSE `id:` clients resume from. */
export interface LoggedRunEvent {
  readonly id: number;
  readonly event: RunStreamEvent;
}
