import type { RunControl } from '../../runs/run-control.js';

/** A queued run tries again this often even if no run of its conversation was heard to end (a lost message). */
const RETRY_MS = 2000;

/**
 * Waits for a queued run's turn: it tries to start whenever any instance reports that a run of its conversation
 * ended, and every RETRY_MS regardless. Resolves true once `tryStart` succeeds, false once `signal` aborts.
 */
export async function waitForTurn(args: {
  conversationId: string;
  signal: AbortSignal;
  control: RunControl;
  tryStart: () => Promise<boolean>;
}): Promise<boolean> {
  const { conversationId, signal, control, tryStart } = args;
  let wake: (() => void) | undefined;
  const off = control.onEnded((ended) => {
    if (ended.conversationId === conversationId) wake?.();
  });
  try {
    while (!signal.aborted) {
      if (await tryStart()) return true;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, RETRY_MS);
        signal.addEventListener('abort', done, { once: true });
        wake = done;
      });
    }
    return false;
  } finally {
    off();
  }
}
