import { request } from 'node:http';
import { createParser, type EventSourceMessage as SseFrame } from 'eventsource-parser';

export type { SseFrame };

/** Where a stream comes from and how to read it: the scripted model directly, or a route of the app. */
export interface StreamTarget {
  label: string;
  url: URL;
  headers: Record<string, string>;
  /** POSTed as JSON; none: a GET (a run's or a conversation's event stream). */
  body?: string;
  /** A frame that carries model text (what "first token" and "gap between frames" are measured on). */
  isToken(frame: SseFrame): boolean;
  /** The frame that ends a complete stream. */
  isEnd(frame: SseFrame): boolean;
  /** Frames carry `id: n`, +1 per event: a jump is a lost frame. */
  sequenced: boolean;
}

export interface StreamOptions {
  /** Disconnect as soon as the first token arrives (first-token runs need no more, and it saves the whole stream). */
  stopAfterFirstToken?: boolean;
  /** Hard bound on the whole stream; reaching it is recorded as an error, never waited out. */
  timeoutMs: number;
  /** Aborting closes the connection; the result is whatever was received (idle streams end this way). */
  signal?: AbortSignal;
  /** Called once when the response headers arrive with a 200. */
  onOpen?: () => void;
  /** Every frame as it arrives, with the arrival time of the read that brought it. */
  onFrame?: (frame: SseFrame, at: number) => void;
}

export interface StreamResult {
  status: number;
  error?: string;
  startedAt: number;
  /** When the 200 response headers arrived (the app sends them once the run is accepted and stored). */
  openedAt?: number;
  /** Arrival time (performance.now) of every token frame, in order. */
  tokenTimes: number[];
  frames: number;
  lostFrames: number;
  pings: number;
  completed: boolean;
  endedAt: number;
}

export function firstTokenMs(r: StreamResult): number | undefined {
  return r.tokenTimes.length ? r.tokenTimes[0] - r.startedAt : undefined;
}

export function tokenGaps(r: StreamResult): number[] {
  const gaps: number[] = [];
  for (let i = 1; i < r.tokenTimes.length; i++) gaps.push(r.tokenTimes[i] - r.tokenTimes[i - 1]);
  return gaps;
}

/**
 * One SSE request over its own connection (no keep-alive pool: concurrent streams each need a socket anyway, and
 * direct and app streams then pay the same connect cost). Never rejects: every failure is in the result.
 */
export function openStream(target: StreamTarget, options: StreamOptions): Promise<StreamResult> {
  const result: StreamResult = {
    status: 0,
    startedAt: performance.now(),
    tokenTimes: [],
    frames: 0,
    lostFrames: 0,
    pings: 0,
    completed: false,
    endedAt: 0,
  };
  return new Promise((resolve) => {
    let lastId = 0;
    let now = 0;
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error && !result.error) result.error = error;
      result.endedAt = performance.now();
      req.destroy();
      resolve(result);
    };
    // The same parser for the model's stream and the app's, so whatever it costs cancels out of every "added" figure.
    const parser = createParser({
      onEvent: (frame) => {
        result.frames++;
        options.onFrame?.(frame, now);
        if (target.sequenced && frame.id !== undefined) {
          const id = Number(frame.id);
          if (id !== lastId + 1) result.lostFrames += Math.max(0, id - lastId - 1);
          lastId = id;
        }
        if (target.isToken(frame)) {
          result.tokenTimes.push(now);
          if (options.stopAfterFirstToken) finish();
        } else if (target.isEnd(frame)) {
          result.completed = true;
          finish();
        }
      },
      onComment: (comment) => {
        if (comment.trim() === 'ping') result.pings++;
      },
    });
    const onAbort = () => finish();
    const timer = setTimeout(() => finish(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const req = request(
      target.url,
      {
        method: target.body === undefined ? 'GET' : 'POST',
        agent: false,
        headers: {
          ...(target.body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(target.body)) }),
          ...target.headers,
        },
      },
      (res) => {
        result.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        if (result.status !== 200) {
          let text = '';
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => finish(`HTTP ${result.status}: ${text.slice(0, 200)}`));
          return;
        }
        result.openedAt = performance.now();
        options.onOpen?.();
        res.on('data', (chunk: string) => {
          // One timestamp per socket read: frames that arrived together are recorded as arriving together.
          now = performance.now();
          parser.feed(chunk);
        });
        res.on('end', () => finish(result.completed ? undefined : 'stream ended without its final frame'));
        res.on('error', (err) => finish(err.message));
      },
    );
    req.on('error', (err) => finish(err.message));
    if (options.signal?.aborted) finish();
    else req.end(target.body);
  });
}
