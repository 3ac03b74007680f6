import type { Dispatcher } from 'undici';
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
  json?: Record<string, unknown>;
}

/** Parses a complete SSE body into events and comment lines (e.g. `: ping`). */
export function parseSse(body: string): { events: SseEvent[]; comments: string[]; done: boolean } {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let done = false;
  for (const frame of body.split('\n\n')) {
    if (!frame.trim()) continue;
    const e: SseEvent = { data: '' };
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) comments.push(line);
      else if (line.startsWith('id: ')) e.id = line.slice(4);
      else if (line.startsWith('event: ')) e.event = line.slice(7);
      else if (line.startsWith('data: ')) e.data += line.slice(6);
    }
    if (e.data === '[DONE]') done = true;
    else if (e.data) {
      e.json = JSON.parse(e.data);
      events.push(e);
    }
  }
  return { events, comments, done };
}

export interface SseOptions {
  onEvent?: (e: SseEvent) => void;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** An undici Agent of the test's own (e.g. one that keeps connections alive longer than fetch's 4 s). */
  dispatcher?: Dispatcher;
}

export interface SseResult {
  status: number;
  headers: Headers;
  raw: string;
  events: SseEvent[];
  comments: string[];
  done: boolean;
}

/**
 * Streams `POST /api/chat` with fetch, calling `onEvent` as events arrive (so a test can cancel or disconnect
 * mid-stream). Resolves with everything read once the stream ends or is aborted.
 */
export function streamChat(
  url: string,
  token: string,
  body: Record<string, unknown>,
  options: SseOptions = {},
): Promise<SseResult> {
  return streamSse(
    `${url}/api/chat`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...options.headers },
      body: JSON.stringify(body),
    },
    options,
  );
}

/** Streams `GET /api/runs/{id}/events` (resume with `Last-Event-ID` in `options.headers` or `?after=`). */
export function followRun(
  url: string,
  token: string,
  runId: string,
  options: SseOptions & { after?: number } = {},
): Promise<SseResult> {
  const query = options.after === undefined ? '' : `?after=${options.after}`;
  return streamSse(
    `${url}/api/runs/${runId}/events${query}`,
    { headers: { authorization: `Bearer ${token}`, ...options.headers } },
    options,
  );
}

/** Any SSE request: the body's events as they arrive, everything read once it ends or is aborted. */
export async function streamSse(target: string, init: RequestInit, options: SseOptions = {}): Promise<SseResult> {
  const res = await fetch(target, {
    ...init,
    signal: options.signal,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  } as RequestInit);
  let raw = '';
  if (res.body) {
    const decoder = new TextDecoder();
    let seen = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        raw += decoder.decode(chunk, { stream: true });
        const parsed = parseSse(raw.slice(0, raw.lastIndexOf('\n\n') + 2));
        for (const e of parsed.events.slice(seen)) options.onEvent?.(e);
        seen = parsed.events.length;
      }
    } catch (err) {
      if (!options.signal?.aborted) throw err;
    }
  }
  return { status: res.status, headers: res.headers, raw, ...parseSse(raw.slice(0, raw.lastIndexOf('\n\n') + 2)) };
}

/** A chat request body with one user turn (and any other fields). */
export const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user', content }],
  ...extra,
});

/** The answer's text: every `text_delta` of a stream, joined. */
export const textOf = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'text_delta')
    .map((e) => e.json!.text)
    .join('');

/** The `run_finished` event's data, if the stream got that far. */
export const finishedOf = (events: SseEvent[]) => events.find((e) => e.event === 'run_finished')?.json;
