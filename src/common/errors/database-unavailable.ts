// Connection-level failures (server gone, refusing connections, shutting down): the request was fine, the
// database was not, so the answer is 503 and the client may retry, never a 500.
const UNAVAILABLE_SQLSTATE = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|terminating connection|Client has encountered a connection error|PGlite is closed|database .* is not currently accepting connections|Connection is not established/i;
// pg-pool's error when every connection stayed checked out for the whole wait (DATABASE_POOL_TIMEOUT_MS). A new
// connection that cannot be opened in time fails as "Connection terminated due to connection timeout" instead, so
// this message means the database answers but this process is asking more of it than its pool holds: overload.
const POOL_EXHAUSTED_MESSAGE = /^timeout exceeded when trying to connect$/;

export type DatabaseFailure = 'unavailable' | 'busy';

/** Why a database call failed when the fault is the database's availability, not the request; else undefined. */
export function databaseFailure(err: unknown, depth = 0): DatabaseFailure | undefined {
  if (!err || typeof err !== 'object' || depth > 3) return undefined;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof e.message === 'string' && POOL_EXHAUSTED_MESSAGE.test(e.message)) return 'busy';
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATE.has(e.code) || UNAVAILABLE_ERRNO.has(e.code))) {
    return 'unavailable';
  }
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return 'unavailable';
  return databaseFailure(e.driverError, depth + 1) ?? databaseFailure(e.cause, depth + 1);
}

/** True for both kinds of failure: either way the statement did not run and may be retried later. */
export function isDatabaseUnavailable(err: unknown): boolean {
  return databaseFailure(err) !== undefined;
}
