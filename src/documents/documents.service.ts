import { DocumentNotFound, DocumentTooLarge, UnprocessableDocument } from './documents.errors.js';
import { Injectable } from '@nestjs/common';
import { webcrypto } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceUnavailable, ValidationFailedError } from '../common/errors/app.error.js';
import { AppConfig } from '../config/app-config.js';
import type { TextChunk } from './chunking/chunk-text.js';
import { documentTitle } from './document-title.js';
import { toDocumentResponse } from './document.mapper.js';
import { DocumentsRepository, type NewDocument } from './documents.repository.js';
import { DocumentResponseDto } from './dto/document-response.dto.js';
import type { DocumentEntity } from './entities/document.entity.js';
import { DocumentSearchService } from './search/document-search.service.js';
import { DocumentExtractor } from './parsing/document-extractor.js';
import type { UploadedDocumentFile } from './uploaded-file.js';

export interface UploadInput {
  file?: UploadedDocumentFile;
  title?: string;
  content?: string;
}

export interface UploadResult {
  document: DocumentResponseDto;
  /** False when the caller had already uploaded these exact bytes: the existing document is returned. */
  created: boolean;
}

/** A document still `processing` this long after its row was made was abandoned by a process that died. */
export const STALE_INGESTION_MS = 15 * 60_000;
const DUPLICATE_POLL_MS = 100;
const DUPLICATE_WAIT_MS = 120_000;
const STORE_ATTEMPTS = 3;

// WebCrypto digests on libuv's thread pool, so hashing 25 MiB does not hold the event loop.
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

const count = (n: number) => n.toLocaleString('en-US');

@Injectable()
export class DocumentsService {
  constructor(
    private readonly documents: DocumentsRepository,
    private readonly extractor: DocumentExtractor,
    private readonly config: AppConfig,
    private readonly search: DocumentSearchService,
  ) {}

  /** `signal`: the client went away; a parse not yet finished is dropped (storing, once begun, completes). */
  async upload(userId: string, input: UploadInput, signal?: AbortSignal): Promise<UploadResult> {
    const bytes = this.bytesOf(input);
    const sha256 = await sha256Hex(bytes);
    const existing = await this.settledDuplicate(userId, sha256);
    if (existing) return { document: toDocumentResponse(existing), created: false };

    const extracted = await this.extractor.extract(bytes, input.file?.mimetype, { userId, signal });
    const { chunks } = extracted;
    if (chunks.length === 0) throw new UnprocessableDocument('The document contains no indexable text');
    const title = documentTitle({
      given: input.title,
      embedded: extracted.title,
      originalName: input.file?.originalname,
      text: extracted.text,
    });
    const doc: NewDocument = {
      userId,
      title,
      mimeType: extracted.mimeType,
      sizeBytes: bytes.length,
      sha256,
      textLength: extracted.text.length,
    };
    for (let attempt = 1; ; attempt++) {
      const saved = await this.store(doc, chunks);
      if (saved) {
        this.search.chunksChanged();
        return { document: toDocumentResponse(saved), created: true };
      }
      // A concurrent upload of the same bytes won the unique index; answer with its document once it is stored.
      const winner = await this.settledDuplicate(userId, sha256);
      if (winner) return { document: toDocumentResponse(winner), created: false };
      if (attempt === STORE_ATTEMPTS) throw new ServiceUnavailable('The same file is being stored; retry shortly');
    }
  }

  /** The rows are already in the response's shape (`DocumentSummaryRow`): nothing to map. */
  list(userId: string, page: { limit: number; offset: number }): Promise<DocumentResponseDto[]> {
    return this.documents.list(userId, page.limit, page.offset);
  }

  async get(userId: string, id: string): Promise<DocumentResponseDto> {
    const doc = await this.documents.findOwned(userId, id);
    if (!doc) throw new DocumentNotFound();
    return doc;
  }

  async remove(userId: string, id: string): Promise<void> {
    if (!(await this.documents.deleteOwned(userId, id))) throw new DocumentNotFound();
  }

  /**
   * Stores a document so that no reader ever sees part of it, without holding the database for the whole of a
   * large one: the row is reserved `processing`, the passages go in batches committed one by one, and only then is
   * it `ready` (listed, searchable). If anything fails on the way, the row and its passages are removed; a process
   * that dies meanwhile leaves a `processing` row that `StaleIngestionSweeper` removes. Undefined: a duplicate.
   */
  private async store(doc: NewDocument, chunks: TextChunk[]): Promise<DocumentEntity | undefined> {
    const { maxPassagesPerUser } = this.config.documents;
    const reservation = await this.documents.reserve(doc, chunks.length, maxPassagesPerUser);
    if (reservation.kind === 'duplicate') return undefined;
    if (reservation.kind === 'over-quota') {
      throw new DocumentTooLarge(
        `The document makes ${count(chunks.length)} passages and you have ${count(reservation.stored)} stored: ` +
          `together more than ${count(maxPassagesPerUser)} (the limit for one user); delete documents to make room`,
      );
    }
    const { document } = reservation;
    try {
      await this.documents.insertChunks(document, chunks, this.config.searchLanguage);
      if (!(await this.documents.markReady(document.id))) throw new Error('A document being stored was removed');
    } catch (err) {
      await this.documents.discard(document.id).catch(() => undefined);
      throw err;
    }
    return { ...document, status: 'ready' };
  }

  /**
   * The caller's document of these bytes once it is ready, or undefined when there is none. One still being stored
   * (a concurrent upload of the same file) is waited for; one abandoned by a dead process is removed.
   */
  private async settledDuplicate(userId: string, sha256: string): Promise<DocumentEntity | undefined> {
    const deadline = Date.now() + DUPLICATE_WAIT_MS;
    for (;;) {
      const doc = await this.documents.findBySha256(userId, sha256);
      if (!doc) return undefined;
      if (doc.status === 'ready') return doc;
      if (Date.now() - doc.createdAt.getTime() > STALE_INGESTION_MS) {
        await this.documents.discard(doc.id);
        return undefined;
      }
      if (Date.now() > deadline) throw new ServiceUnavailable('The same file is still being stored; retry shortly');
      await sleep(DUPLICATE_POLL_MS);
    }
  }

  private bytesOf({ file, content }: UploadInput): Uint8Array {
    if (file && content !== undefined) {
      throw new ValidationFailedError([{ field: 'content', message: 'send either a file or content, not both' }]);
    }
    if (file) return file.buffer;
    if (content !== undefined) return Buffer.from(content, 'utf8');
    throw new ValidationFailedError([
      { field: 'file', message: 'send a multipart "file" field, or JSON with "content"' },
    ]);
  }
}
