import { Logger } from '@nestjs/common';
import type { Response } from 'express';
/** One SSE event: its `id:` (what a client resumes from) and its data, which carries its `type`. */
export interface SseEvent {
  readonly id: number | string;
  readonly event: { readonly type: string };
}
import { SseWriter } from './sse-writer.js';

const logger = new Logger('SSE');

/**
 * Streams events (a run's, from its log, with their ids) to an SSE response in the background: the route handler
 * returns once the stream is under way, so the request's Nest pipeline is not held for the stream's whole life.
 * `onClientGone` is called when the client leaves before the stream ended; `abort` stops following the log then.
 * A failure the stream could not report in-band is logged and ends the response.
 */
export function streamEvents(
  res: Response,
  events: AsyncIterable<SseEvent>,
  options: { pingMs: number; abort: AbortController; onClientGone?: () => void },
): void {
  const writer = new SseWriter(res, options.pingMs);
  writer.open();
  let ended = false;
  const onClose = () => {
    options.abort.abort();
    if (!ended) options.onClientGone?.();
  };
  // The client may have left while the run was being accepted; then 'close' has already fired.
  if (res.destroyed) onClose();
  else res.on('close', onClose);
  void (async () => {
    try {
      for await (const { id, event } of events) {
        writer.send(id, event.type, event);
        if (event.type === 'run_finished') ended = true;
      }
      if (ended) writer.done();
      else res.end();
    } catch (err) {
      logger.error({ msg: 'stream failed', error: err instanceof Error ? err.stack : String(err) });
      res.end();
    }
  })();
}
