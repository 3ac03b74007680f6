import type { Response } from 'express';
import { writeProblem } from '../../common/errors/problem-details.filter.js';
import type { RunEvent } from '../../agents/runtime/run-event.js';
import type { StartedRun } from '../chat.service.js';
import { toToolCallDto } from '../chat.service.js';
import { SseWriter } from './sse-writer.js';

/** The SSE event a client sees for a runtime event (names and fields are the public contract). */
function toSse(event: RunEvent): [string, Record<string, unknown>] {
  switch (event.type) {
    case 'text_delta':
      return ['text_delta', { text: event.text }];
    case 'tool_call':
      return ['tool_call', { id: event.id, name: event.name, input: event.input }];
    case 'tool_result': {
      const { input: _input, ...dto } = toToolCallDto(event);
      return ['tool_result', dto];
    }
    case 'usage':
      return ['usage', { input_tokens: event.input_tokens, output_tokens: event.output_tokens }];
    case 'error':
      return ['error', { code: event.code, message: event.message, recoverable: event.recoverable }];
    case 'finished':
      return ['run_finished', { status: event.status, stop_reason: event.stop_reason }];
  }
}

/**
 * Streams a run to the client in the background: the route handler returns once the stream is under way, so the
 * request's Nest pipeline (interceptor observables, handler promise chains: about 13 KB of heap per open stream,
 * measured with heap snapshots) is released instead of being held for the stream's whole life. A failure the
 * stream could not report in-band is logged and ends the response, as the exception filter would.
 */
export function startStream(run: StartedRun, res: Response, pingMs: number): void {
  streamRun(run, res, pingMs).catch((err: unknown) => writeProblem(err, res.req, res));
}

/**
 * Streams a run to the client. A client that goes away aborts the run (and with it the upstream model request
 * and running tools); the run still saves what it has.
 */
async function streamRun(run: StartedRun, res: Response, pingMs: number): Promise<void> {
  const writer = new SseWriter(res, pingMs);
  writer.open();
  const onClose = () => {
    if (!res.writableFinished) run.abort('client_disconnected');
  };
  // The client may have left while the run was being stored; then 'close' has already fired.
  if (res.destroyed) onClose();
  else res.on('close', onClose);
  writer.send('run_started', {
    conversation_id: run.conversationId,
    run_id: run.runId,
    agent: run.agent,
    model: run.model,
  });
  for await (const event of run.events) {
    const [type, data] = toSse(event);
    writer.send(type, data);
  }
  writer.done();
}
