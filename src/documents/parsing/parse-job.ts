import type { PreparedText } from './text-pipeline.js';

/**
 * The messages exchanged with `worker/parse.worker.mjs`. `text` is anything file-type did not recognise: the
 * worker decodes it and tells plain text, Markdown and HTML apart.
 */
export type ParseJob =
  { kind: 'pdf' | 'docx'; bytes: Uint8Array } | { kind: 'text'; bytes: Uint8Array; declaredMime?: string };

export type ParseFailureReason = 'CORRUPT' | 'ENCRYPTED' | 'UNSUPPORTED' | 'TIMEOUT' | 'TOO_LARGE';

export type ParseReply =
  ({ id: number; ok: true } & PreparedText) | { id: number; ok: false; reason: ParseFailureReason; message: string };
