import { fork, type ChildProcess } from 'node:child_process';
import { SERVER_V8_FLAGS } from '../src/v8-flags.js';

/** Messages between the bench and a helper server it forked (the scripted model, the bare Express baseline). */
export type ToChild = { id: number; call: string };
export type FromChild = { ready: string } | { id: number; result?: unknown; error?: string };

export interface ChildService {
  url: string;
  pid: number;
  call<T>(name: string): Promise<T>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Forks a helper server in its own process, so its event loop never shares a core's time slice with the client
 * that measures it (on two cores, a server inside the client process would skew every direct baseline).
 */
export async function startChildService(entry: string, args: Record<string, unknown>): Promise<ChildService> {
  // The app's V8 flags here too, so the Express baseline it is compared with runs the same V8.
  const child = fork(entry, [JSON.stringify(args)], {
    execArgv: [...SERVER_V8_FLAGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} did not start within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code} before it was ready`)));
    child.on('message', (msg: FromChild) => {
      if ('ready' in msg) {
        clearTimeout(timer);
        resolve(msg.ready);
        return;
      }
      const waiter = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) waiter?.reject(new Error(msg.error));
      else waiter?.resolve(msg.result);
    });
  });

  return {
    url,
    pid: child.pid!,
    call<T>(name: string) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, call: name } satisfies ToChild);
      });
    },
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
