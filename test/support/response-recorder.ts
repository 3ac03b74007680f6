import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TestApp } from './test-app.js';

export interface RecordedResponse {
  method: string;
  url: string;
  requestHeaders: IncomingMessage['headers'];
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/**
 * Tees every response the app writes (any route, any status, SSE included) so a test can scan all of them at
 * once for what must never leave the server. Registered first on the HTTP server, so it sees responses that
 * Express or Nest answer synchronously too.
 */
export function recordResponses(t: TestApp): { responses: RecordedResponse[]; stop(): void } {
  const responses: RecordedResponse[] = [];
  const server = t.app.getHttpServer() as Server;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const enc = typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8';
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, enc));
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return end(chunk, ...rest);
    }) as typeof res.end;
    res.once('close', () =>
      responses.push({
        method: req.method ?? '',
        url: req.url ?? '',
        requestHeaders: req.headers,
        status: res.statusCode,
        headers: res.getHeaders(),
        body: Buffer.concat(chunks).toString('utf8'),
      }),
    );
  };
  server.prependListener('request', onRequest);
  return { responses, stop: () => server.off('request', onRequest) };
}

/** Lines of "METHOD url -> status: what" for every response that contains one of the needles. */
export function findLeaks(responses: RecordedResponse[], needles: Array<string | RegExp>): string[] {
  const leaks: string[] = [];
  for (const r of responses) {
    const text = `${JSON.stringify(r.headers)}\n${r.body}`;
    for (const needle of needles) {
      const hit = typeof needle === 'string' ? text.includes(needle) : needle.test(text);
      if (hit) leaks.push(`${r.method} ${r.url} -> ${r.status}: contains ${String(needle)}`);
    }
  }
  return leaks;
}
