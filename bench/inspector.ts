import { WebSocket } from 'undici';

const CALL_TIMEOUT_MS = 30_000;

/** The inspector's WebSocket address in what `node --inspect` prints to stderr, once it has printed it. */
export function inspectorUrlIn(output: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
}

/**
 * One DevTools-protocol command to another Node process's inspector (started with `--inspect`), on a connection of
 * its own, closed afterwards: the bench only uses it between measurements, never while a load runs.
 */
export function inspectorCall<T>(wsUrl: string, method: string, params: Record<string, unknown> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`inspector ${method}: no answer within ${CALL_TIMEOUT_MS} ms`));
    }, CALL_TIMEOUT_MS);
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      ws.close();
      fn();
    };
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method, params }));
    ws.onerror = () => settle(() => reject(new Error(`inspector ${method}: connection to ${wsUrl} failed`)));
    ws.onmessage = (event) => {
      const msg = JSON.parse(String(event.data)) as { id?: number; result?: T; error?: { message: string } };
      if (msg.id !== 1) return;
      settle(() => (msg.error ? reject(new Error(`inspector ${method}: ${msg.error.message}`)) : resolve(msg.result!)));
    };
  });
}

/** A full, memory-reducing GC in the inspected process; resolves with its JS heap in use afterwards (KB). */
export async function collectGarbage(wsUrl: string): Promise<number> {
  await inspectorCall(wsUrl, 'HeapProfiler.collectGarbage');
  const { usedSize } = await inspectorCall<{ usedSize: number }>(wsUrl, 'Runtime.getHeapUsage');
  return usedSize / 1024;
}
