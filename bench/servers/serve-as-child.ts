import type { FromChild, ToChild } from '../child-service.js';

export interface ChildServer {
  url: string;
  /** Named calls the bench may make over IPC (counters, resets). */
  calls: Record<string, () => unknown>;
  close(): Promise<void>;
}

/** The child side of `startChildService`: start, report the URL, answer calls, close on SIGTERM or a lost parent. */
export function serveAsChild(start: (args: Record<string, unknown>) => Promise<ChildServer>): void {
  const args = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
  const send = (msg: FromChild) => process.send?.(msg);
  void start(args).then(
    (server) => {
      process.on('message', (msg: ToChild) => {
        // A call may answer now or with a promise.
        void Promise.resolve()
          .then(() => {
            const call = server.calls[msg.call];
            if (!call) throw new Error(`no call ${msg.call}`);
            return call();
          })
          .then(
            (result) => send({ id: msg.id, result }),
            (err: unknown) => send({ id: msg.id, error: String(err) }),
          );
      });
      let closing = false;
      const shutdown = () => {
        if (closing) return;
        closing = true;
        void server.close().finally(() => process.exit(0));
      };
      process.on('SIGTERM', shutdown);
      // The bench went away (crashed or killed): do not outlive it.
      process.on('disconnect', shutdown);
      send({ ready: server.url });
    },
    (err: unknown) => {
      process.stderr.write(`helper server failed to start: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
