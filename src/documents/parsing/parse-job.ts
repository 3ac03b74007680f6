/** The messages exchanged with `worker/parse.worker.mjs`. */
export type ParseJob = { kind: 'pdf' | 'docx'; bytes: Uint8Array } | { kind: 'html'; html: string };

export type ParseFailureReason = 'CORRUPT' | 'ENCRYPTED' | 'TIMEOUT' | 'TOO_LARGE';

export type ParseReply =
  | { id: number; ok: true; text: string; title?: string }
  | { id: number; ok: false; reason: ParseFailureReason; message: string };

export interface ParsedText {
  text: string;
  title?: string;
}
