// What ioredis rejects with while Redis cannot be reached: commands fail at once (no offline queue), or when
// their connection drops under them. Read from the message and name, so this module needs no Redis client.
const UNAVAILABLE_MESSAGE =
  /Stream isn't writeable|Connection is closed|Reached the max retries per request limit|connect ECONNREFUSED|read ECONNRESET|Redis at REDIS_URL is unreachable/;

/** True when a call failed because Redis is unavailable (a 503, never a 500). */
export function isRedisUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false;
  const e = err as { name?: unknown; message?: unknown; cause?: unknown };
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  return isRedisUnavailable(e.cause, depth + 1);
}
