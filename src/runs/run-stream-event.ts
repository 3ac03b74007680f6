import type { RunEvent } from '../agents/runtime/run-event.js';

/** Every status a run can be in. `waiting`: paused on an approval; `queued`: behind the conversation's active run. */
export type RunStatus = 'queued' | 'running' | 'waiting' | 'completed' | 'cancelled' | 'failed' | 'interrupted';

export const ACTIVE_RUN_STATUSES = ['queued', 'running', 'waiting'] as const satisfies readonly RunStatus[];

export type FinishedRunStatus = Exclude<RunStatus, (typeof ACTIVE_RUN_STATUSES)[number]>;

type RuntimeEvent<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;

/**
 * A run's events as clients see them: the SSE `event:` names and `data:` fields, and the WebSocket frames. Each
 * carries its own `type`. The names and fields are the public contract (ARCHITECTURE.md, Chat and Runs): the
 * runtime's events as they are, but a tool result without its input (the `tool_call` before it has it), and the
 * run's own start, place in a queue and end.
 */
export type RunStreamEvent =
  | { type: 'run_queued'; run_id: string; position: number }
  | { type: 'run_started'; conversation_id: string; run_id: string; agent: string; model: string }
  | RuntimeEvent<'text_delta' | 'tool_call' | 'usage' | 'error'>
  | Omit<RuntimeEvent<'tool_result'>, 'input'>
  | { type: 'run_finished'; status: FinishedRunStatus; stop_reason: string | null };

/** An event as its run's log holds it: `id` is 1, 2, 3… within the run, the SSE `id:` clients resume from. */
export interface LoggedRunEvent {
  readonly id: number;
  readonly event: RunStreamEvent;
}
