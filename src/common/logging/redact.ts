const SENSITIVE_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|cookie/i;
const MAX_STRING = 512;

/** Copies a value for logging: sensitive keys masked, long strings truncated, depth bounded. */
export function redactForLog(value: unknown, depth = 0): unknown {
  if (typeof value === 'string')
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…(${value.length} chars)` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 4) return '[object]';
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redactForLog(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SENSITIVE_KEY.test(k) ? '[redacted]' : redactForLog(v, depth + 1);
  return out;
}
