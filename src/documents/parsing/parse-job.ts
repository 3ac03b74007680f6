import type { MessagePort } from 'node:worker_threads';
import type { PreparedText } from './text-pipeline.js';

/**
 * What `worker/parse.worker.mjs` is asked to read. `text` is anything file-type did not recognise: the worker
 * decodes it and tells plain text, Markdown and HTML apart.
 */
export type ParseJob =
  { kind: 'pdf' | 'docx'; bytes: Uint8Array } | { kind: 'text'; bytes: Uint8Array; declaredMime?: string };

/** The limits a worker applies while it reads a document (from `ParserConfig`, in bytes where sizes). */
export interface ParserLimits {
  maxPartBytes: number;
  maxExpandedBytes: number;
  maxPdfPages: number;
  maxPdfTextOperators: number;
  maxHtmlDepth: number;
  maxPassages: number;
  /** The worker reports on `port` when its heap plus off-heap memory passes this. */
  memoryBytes: number;
}

/** One piscina task. `port` carries the worker's notices (`WorkerNotice`) back while the job runs. */
export interface ParseTask {
  job: ParseJob;
  limits: ParserLimits;
  port: MessagePort;
}

export interface WorkerNotice {
  /** The worker's memory passed `limits.memoryBytes`: it must be ended, not asked. */
  memoryBytes: number;
}

export type ParseFailureReason = 'CORRUPT' | 'ENCRYPTED' | 'UNSUPPORTED' | 'TIMEOUT' | 'TOO_LARGE';

export type ParseReply = ({ ok: true } & PreparedText) | { ok: false; reason: ParseFailureReason; message: string };
