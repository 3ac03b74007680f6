import { Injectable } from '@nestjs/common';
import type { DocumentIngestInputDto } from '../dto/document-ingest-input.dto.js';
import { UploadsRepository } from '../uploads/uploads.repository.js';
import { DocumentsIngestAdapter, type IngestInput } from './documents-ingest.adapter.js';
import type { AttemptOutcome, TaskAttempt, TaskHandler } from './task-handler.js';

/** Progress once an upload's bytes are read back; the parsing and indexing that follow report no steps. */
const BYTES_READ = 0.25;

/**
 * `document.ingest`: a document stored and indexed as `POST /api/documents` would, from text in the task's input
 * or from a file kept with `POST /api/uploads` (kept until it expires, so a retried attempt finds it again; a
 * retry that finds the document already stored gets it back, as a duplicate upload does). A task cancelled while
 * it ran leaves no document.
 */
@Injectable()
export class DocumentIngestHandler implements TaskHandler {
  readonly type = 'document.ingest';

  constructor(
    private readonly uploads: UploadsRepository,
    private readonly documents: DocumentsIngestAdapter,
  ) {}

  async run({ task, signal, progress }: TaskAttempt): Promise<AttemptOutcome> {
    const input = task.input as DocumentIngestInputDto;
    const ingest: IngestInput = { title: input.title };
    if (input.upload_id) {
      const upload = await this.uploads.findOwned(task.userId, input.upload_id);
      if (!upload) return { status: 'failed', error: { code: 'NOT_FOUND', message: 'The upload expired or is gone' } };
      const buffer = await this.uploads.readData(upload);
      ingest.file = { buffer, originalname: upload.filename, mimetype: upload.mimeType, size: buffer.length };
      await progress(BYTES_READ);
    } else {
      ingest.content = input.content;
    }
    if (signal.aborted) return { status: 'cancelled' };
    const { document, created } = await this.documents.ingest(task.userId, ingest);
    return {
      status: 'completed',
      result: { ...document },
      discard: created ? () => this.documents.discard(task.userId, document.id) : undefined,
    };
  }
}
