import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The HTTP client under the model SDKs (their `fetch` option): undici's own `fetch` on a connection pool of its own,
 * so both come from the same undici version (Node's built-in fetch bundles an older one), and closing the pool at
 * shutdown ends every model request still streaming. Public API only: the SDKs get a real fetch `Response`.
 *
 * Redirects are never followed: a 3xx comes back as a failed response, so the API key header is never resent to
 * wherever a redirect points. Aborting the signal, or cancelling the body before its end, closes the connection.
 */
export class ModelHttpClient {
  // undici's defaults are the ones Node's fetch runs with (10 s to connect, 300 s for headers and between body
  // chunks); the SDK's own timeout (LLM_TIMEOUT_MS) bounds the wait for the response headers.
  private readonly agent = new Agent();

  readonly fetch: Fetch = async (input, init) => {
    const response = await undiciFetch(input as string | URL, {
      ...(init as UndiciRequestInit),
      redirect: 'manual',
      dispatcher: this.agent,
    });
    // undici's Response is the WHATWG one Node's global type describes; the two packages only differ in typings.
    return response as unknown as Response;
  };

  /** Closes every connection, in flight or idle (at shutdown, once the runs have ended). */
  close(): Promise<void> {
    return this.agent.destroy();
  }
}
