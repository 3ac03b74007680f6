import { LlmError } from './llm-provider.js';

/**
 * A model provider's HTTP failure, classified for the client's `error` event by status (and the provider's error
 * type where it says more): retry-worthy or not, and never the provider's own words, which may quote the request.
 */
export function upstreamHttpError(status: number | undefined, type?: string): LlmError {
  if (status === 529 || type === 'overloaded_error')
    return new LlmError('UPSTREAM_OVERLOADED', 'The model provider is overloaded; try again shortly', true);
  if (status === 429 || type === 'rate_limit_error')
    return new LlmError(
      'UPSTREAM_RATE_LIMITED',
      'The model provider rate-limited this request; try again shortly',
      true,
    );
  if (status === 401 || status === 403)
    return new LlmError('UPSTREAM_AUTH', 'The model provider rejected the server credentials', false);
  if (status === 400 || status === 404 || status === 413 || status === 422)
    return new LlmError('UPSTREAM_BAD_REQUEST', 'The model provider rejected the request', false);
  if (status === undefined) return new LlmError('UPSTREAM_ERROR', 'The model stream failed', true);
  return new LlmError('UPSTREAM_ERROR', 'The model provider failed', true);
}

export const upstreamTimeout = () => new LlmError('UPSTREAM_TIMEOUT', 'The model provider timed out', true);
export const upstreamUnreachable = () => new LlmError('UPSTREAM_ERROR', 'Could not reach the model provider', true);
/** Anything else from an SDK mid-stream: malformed events, a stream cut short. */
export const upstreamInvalid = () =>
  new LlmError('UPSTREAM_INVALID_RESPONSE', 'The model provider sent an invalid or incomplete stream', true);
