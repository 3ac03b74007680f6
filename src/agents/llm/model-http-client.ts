import { Agent, type Dispatcher } from 'undici';
import { ResponseHeaders } from './response-headers.js';

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The HTTP client under the Anthropic SDK (its `fetch` option): undici's request API, the engine Node's own `fetch`
 * runs on, without fetch's per-request machinery (a `Request` and its clone, web streams for the body, CORS and
 * redirect bookkeeping). The SDK reads a streamed answer through the body's async iterator and otherwise uses only
 * `status`, `ok`, `url`, `headers` and `text()`/`json()`, so the response is a small object with those members
 * around undici's body, a Node stream. Measured with the bench (see BENCHMARKS.md): less CPU per run start and per
 * relayed frame, and less memory per open stream, than the built-in `fetch`.
 *
 * Redirects are never followed (undici's request API has no redirect handling unless asked): a 3xx comes back as
 * a failed response, so the API key header is never resent to wherever a redirect points. Aborting the signal, or
 * destroying the body before its end, closes the connection to the model.
 */
export class ModelHttpClient {
  // undici's defaults are the ones Node's fetch runs with (10 s to connect, 300 s for headers and between body
  // chunks); the SDK's own timeout (LLM_TIMEOUT_MS) bounds the wait for the response headers.
  private readonly agent = new Agent();

  readonly fetch: Fetch = async (input, init = {}) => {
    if (typeof input !== 'string' && !(input instanceof URL)) {
      throw new TypeError('ModelHttpClient takes a URL, not a Request');
    }
    const url = String(input);
    const headers = toHeaderList(init.headers);
    const bytes = requestBody(init.body);
    if (bytes) headers.push('content-length', String(bytes.byteLength));
    const response = await this.agent.request({
      ...originAndPath(url),
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      // undici takes any iterable as a body (its Dispatcher docs); its type declarations leave that out.
      body: bytes?.byteLength ? (handedOverOnce(bytes) as unknown as Uint8Array) : undefined,
      signal: init.signal ?? undefined,
    });
    return new StreamedResponse(
      url,
      response.statusCode,
      new ResponseHeaders(response.headers).asHeaders(),
      response.body,
    ) as unknown as Response;
  };

  /** Closes every connection, in flight or idle (at shutdown, once the runs have ended). */
  close(): Promise<void> {
    return this.agent.destroy();
  }
}

/** The members of a fetch `Response` the SDK uses, around undici's streamed body. */
class StreamedResponse {
  readonly ok: boolean;
  readonly statusText = '';
  readonly redirected = false;
  readonly body: OwnedChunks;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly headers: Headers,
    private readonly source: BodyReadable,
  ) {
    this.ok = status >= 200 && status < 300;
    this.body = new OwnedChunks(source);
  }

  get bodyUsed(): boolean {
    return this.source.bodyUsed;
  }

  text(): Promise<string> {
    return this.source.text();
  }

  json(): Promise<unknown> {
    return this.source.json();
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.source.arrayBuffer();
  }
}

type BodyReadable = Dispatcher.ResponseData['body'];

/**
 * The streamed body as the SDK reads it (through its async iterator), each chunk in memory of its own. undici
 * hands over views into the socket's reads, often a few hundred bytes of an 8 KB pool slab shared with other data,
 * and the SDK's stream parser keeps the last chunk while it waits for the next: for a stream the model keeps open
 * without answering, that is the stream's whole life, and with it the slab (heap snapshots of 400 idle streams:
 * 0.36 slabs, 2.9 KB, per stream). A chunk that is most of its buffer is passed on as it is.
 */
class OwnedChunks implements AsyncIterable<Uint8Array> {
  constructor(private readonly source: BodyReadable) {}

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return new OwnedChunkIterator(this, this.source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>);
  }
}

/** A Buffer like the chunk, with an ArrayBuffer of its own size (`Buffer.from` would take it from the shared pool). */
function ownCopy(chunk: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(chunk.byteLength);
  copy.set(chunk);
  return copy;
}

class OwnedChunkIterator implements AsyncIterator<Uint8Array> {
  constructor(
    // Held for the read's whole life: the SDK ties the release of its abort listener to the body's collection.
    readonly body: OwnedChunks,
    private readonly chunks: AsyncIterator<Uint8Array>,
  ) {}

  async next(): Promise<IteratorResult<Uint8Array>> {
    const result = await this.chunks.next();
    if (result.done) return result;
    const chunk = result.value;
    return { done: false, value: chunk.buffer.byteLength > 2 * chunk.byteLength ? ownCopy(chunk) : chunk };
  }

  async return(value?: unknown): Promise<IteratorResult<Uint8Array>> {
    return (await this.chunks.return?.(value)) ?? { done: true, value: undefined };
  }
}

function originAndPath(url: string): { origin: string; path: string } {
  const parsed = new URL(url);
  return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
}

/**
 * undici's flat `[name, value, …]` form. The SDK hands over a `Headers`; anything else is normalized as fetch would.
 * `content-length` is the client's to set, from the bytes it sends.
 */
function toHeaderList(headers: RequestInit['headers']): string[] {
  const list: string[] = [];
  for (const [name, value] of headers instanceof Headers ? headers : new Headers(headers)) {
    if (name !== 'content-length') list.push(name, value);
  }
  return list;
}

const utf8 = new TextEncoder();

/** The SDK sends JSON as a string; a stream or form body would need fetch's body handling, which this client omits. */
function requestBody(body: RequestInit['body']): Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return utf8.encode(body);
  if (body instanceof Uint8Array) return body;
  throw new TypeError('ModelHttpClient sends string or byte bodies only');
}

/**
 * The body as an iterable that gives its one chunk away: undici keeps the body object it was given until the
 * response ends, which for a streamed answer is the stream's whole life. Given the bytes themselves, it would keep
 * the whole request (system prompt, tools, the conversation so far: kilobytes to hundreds of kilobytes) per open
 * stream; given this, it keeps an empty iterator. With the `content-length` set from the same bytes, what goes on
 * the wire is unchanged: one write of the head and the body, not chunked.
 */
function handedOverOnce(bytes: Uint8Array): Iterable<Uint8Array> {
  return new OneChunk(bytes);
}

class OneChunk implements Iterable<Uint8Array>, Iterator<Uint8Array> {
  constructor(private chunk: Uint8Array | undefined) {}

  next(): IteratorResult<Uint8Array> {
    const value = this.chunk;
    this.chunk = undefined;
    return value ? { done: false, value } : { done: true, value: undefined };
  }

  [Symbol.iterator](): this {
    return this;
  }
}
