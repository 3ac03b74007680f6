/** A named channel and the type of the messages it carries; declare one per kind of message, at module load. */
export interface ClusterChannel<T> {
  readonly name: string;
  /** Never set: carries the message type for the compiler. */
  readonly __message?: T;
}

export function clusterChannel<T>(name: string): ClusterChannel<T> {
  return Object.freeze({ name });
}

/**
 * Messages to every instance of the service, this one included: what one instance decides and the others must act
 * on (a session revoked, a run to cancel). In one process (no REDIS_URL) delivery is in memory; with REDIS_URL it is
 * Redis pub/sub. Delivery is at most once and asynchronous (never inside `publish`), the same in both, so code
 * written against one behaves the same on the other. Messages must be JSON-serializable.
 */
export abstract class ClusterEvents {
  abstract publish<T>(channel: ClusterChannel<T>, message: T): Promise<void>;

  /** Calls `handler` for every message published on `channel` from now on; returns the unsubscribe function. */
  abstract subscribe<T>(channel: ClusterChannel<T>, handler: (message: T) => void): () => void;
}
