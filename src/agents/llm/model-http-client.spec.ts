import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ModelHttpClient } from './model-http-client.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A real HTTP server on loopback that records what reached it and how its connections ended. */
async function serve(handler: Handler) {
  const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> = [];
  let connections = 0;
  /** Responses whose connection closed before they finished (the client went away). */
  const cutShort: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.on('close', () => {
        if (!res.writableFinished) cutShort.push(req.url ?? '');
      });
      handler(req, body, res);
    });
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    cutShort,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An SSE answer that sends one event now and then stays open until the test ends it. */
function openStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write('event: ping\ndata: {}\n\n');
}

describe('ModelHttpClient (the HTTP client under the Anthropic SDK)', () => {
  let client: ModelHttpClient;
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeEach(() => {
    client = new ModelHttpClient();
  });
  afterEach(async () => {
    await client.close();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function server(handler: Handler) {
    const s = await serve(handler);
    servers.push(s);
    return s;
  }

  it('sends the method, path, query, headers and body, and answers with status, headers and a readable body', async () => {
    const s = await server((_req, body, res) => {
      res.setHeader('request-id', 'req_1');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ echoed: JSON.parse(body) }));
    });
    const headers = new Headers({ 'x-api-key': 'k', 'anthropic-version': '2023-06-01' });
    const res = await client.fetch(`${s.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ hello: 'world' }),
    });

    expect(s.seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1/messages?beta=true',
      body: '{"hello":"world"}',
      headers: expect.objectContaining({ 'x-api-key': 'k', 'anthropic-version': '2023-06-01' }),
    });
    expect([res.status, res.ok, res.url]).toEqual([201, true, `${s.url}/v1/messages?beta=true`]);
    expect(res.headers.get('request-id')).toBe('req_1');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    await expect(res.json()).resolves.toEqual({ echoed: { hello: 'world' } });
  });

  it('sends the body in one piece with its byte length, not chunked, whatever length the caller claimed', async () => {
    const s = await server((_req, _body, res) => res.end());
    const body = JSON.stringify({ text: 'héllo ✓ '.repeat(500) });
    await (await client.fetch(s.url, { method: 'POST', headers: { 'content-length': '3' }, body })).text();
    await (await client.fetch(s.url, { method: 'POST', body: '' })).text();

    expect(s.seen[0].body).toBe(body);
    expect(s.seen[0].headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(s.seen[0].headers['transfer-encoding']).toBeUndefined();
    expect([s.seen[1].body, s.seen[1].headers['content-length']]).toEqual(['', '0']);
  });

  it('takes headers as a plain object too', async () => {
    const s = await server((_req, _body, res) => res.end());
    await (await client.fetch(s.url, { headers: { 'X-Custom': 'yes' } })).text();
    expect(s.seen[0].headers['x-custom']).toBe('yes');
  });

  it('reports a failed status as not ok, with its body', async () => {
    const s = await server((_req, _body, res) => {
      res.writeHead(529, { 'content-type': 'application/json' });
      res.end('{"type":"error","error":{"type":"overloaded_error"}}');
    });
    const res = await client.fetch(s.url, { method: 'POST', body: '{}' });
    expect([res.status, res.ok]).toEqual([529, false]);
    await expect(res.text()).resolves.toContain('overloaded_error');
  });

  it('never follows a redirect: the 3xx comes back and its target receives nothing', async () => {
    const elsewhere = await server((_req, _body, res) => res.end('should not be asked'));
    const s = await server((_req, _body, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/v1/messages` });
      res.end();
    });
    const res = await client.fetch(`${s.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'secret' },
      body: '{}',
    });
    expect([res.status, res.ok]).toEqual([307, false]);
    await res.text();
    expect(elsewhere.seen).toHaveLength(0);
  });

  it('streams the body chunk by chunk as it arrives', async () => {
    let finish!: () => void;
    const s = await server((_req, _body, res) => {
      openStream(res);
      finish = () => res.end('event: message_stop\ndata: {}\n\n');
    });
    const res = await client.fetch(s.url, { method: 'POST', body: '{}' });
    const chunks = (res.body as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    // The first event is readable while the server still holds the response open.
    expect(String((await chunks.next()).value)).toContain('event: ping');
    finish();
    expect(String((await chunks.next()).value)).toContain('message_stop');
    expect((await chunks.next()).done).toBe(true);
  });

  it('hands over each streamed chunk in memory of its own, not as a view into a larger shared buffer', async () => {
    // The SDK's parser keeps the last chunk while it waits for the next one; a view would keep its whole buffer.
    const s = await server((_req, _body, res) => {
      openStream(res);
      setTimeout(() => res.write('event: content_block_delta\ndata: {"delta":{"text":"hi"}}\n\n'), 20);
      setTimeout(() => res.end('event: message_stop\ndata: {}\n\n'), 40);
    });
    const res = await client.fetch(s.url, { method: 'POST', body: '{}' });
    const chunks: Uint8Array[] = [];
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);

    expect(Buffer.concat(chunks).toString()).toBe(
      'event: ping\ndata: {}\n\nevent: content_block_delta\ndata: {"delta":{"text":"hi"}}\n\n' +
        'event: message_stop\ndata: {}\n\n',
    );
    for (const chunk of chunks) expect(chunk.buffer.byteLength).toBeLessThanOrEqual(2 * chunk.byteLength);
  });

  it('reuses the connection for the next request once a body has been read', async () => {
    const s = await server((_req, _body, res) => res.end('ok'));
    for (let i = 0; i < 3; i++) {
      await (await client.fetch(s.url, { method: 'POST', body: '{}' })).text();
      // The connection goes back to the pool once the response is complete, a turn after the body's end (as with
      // Node's fetch): a request sent in the very same turn would open a second one.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(s.connections()).toBe(1);
  });

  it('aborting the signal mid-stream closes the connection to the server', async () => {
    const s = await server((_req, _body, res) => openStream(res));
    const abort = new AbortController();
    const res = await client.fetch(s.url, { method: 'POST', body: '{}', signal: abort.signal });
    const chunks = (res.body as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    await chunks.next();
    abort.abort();
    await expect(chunks.next()).rejects.toMatchObject({ name: 'AbortError' });
    await until(() => s.cutShort.length === 1);
  });

  it('an already aborted signal never sends the request', async () => {
    const s = await server((_req, _body, res) => res.end());
    const abort = new AbortController();
    abort.abort();
    await expect(client.fetch(s.url, { method: 'POST', body: '{}', signal: abort.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(s.seen).toHaveLength(0);
  });

  it('leaving the body unread (the reader stops early) closes the connection to the server', async () => {
    const s = await server((_req, _body, res) => openStream(res));
    const res = await client.fetch(s.url, { method: 'POST', body: '{}' });
    const chunks = (res.body as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    await chunks.next();
    await chunks.return?.();
    await until(() => s.cutShort.length === 1);
  });

  it('close() ends the requests still streaming', async () => {
    const s = await server((_req, _body, res) => openStream(res));
    const res = await client.fetch(s.url, { method: 'POST', body: '{}' });
    const chunks = (res.body as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    await chunks.next();
    await client.close();
    await expect(chunks.next()).rejects.toThrow();
    await until(() => s.cutShort.length === 1);
    client = new ModelHttpClient();
  });

  it('fails a connection it cannot make with an error, not a response', async () => {
    const s = await server((_req, _body, res) => res.end());
    const url = s.url;
    await s.close();
    await expect(client.fetch(url, { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('refuses what the SDK never sends (a Request object, a stream body) instead of sending it wrongly', async () => {
    await expect(client.fetch(new Request('http://127.0.0.1:9/'))).rejects.toThrow(TypeError);
    await expect(
      client.fetch('http://127.0.0.1:9/', {
        method: 'POST',
        body: new ReadableStream(),
        duplex: 'half',
      } as RequestInit),
    ).rejects.toThrow(TypeError);
  });
});
