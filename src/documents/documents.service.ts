import { DocumentNotFound, UnprocessableDocument } from './documents.errors.js';
import { Injectable } from '@nestjs/common';
import { webcrypto } from 'node:crypto';
import { ValidationFailedError } from '../common/errors/app.error.js';
import { AppConfig } from '../config/app-config.js';
import { documentTitle } from './document-title.js';
import { toDocumentResponse } from './document.mapper.js';
import { DocumentsRepository } from './documents.repository.js';
import { DocumentResponseDto } from './dto/document-response.dto.js';
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

// WebCrypto digests on libuv's thread pool, so hashing 25 MiB does not hold the event loop.
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

@Injectable()
export class DocumentsService {
  constructor(
    private readonly documents: DocumentsRepository,
    private readonly extractor: DocumentExtractor,
    private readonly config: AppConfig,
    private readonly search: DocumentSearchService,
  ) {}

  async upload(userId: string, input: UploadInput): Promise<UploadResult> {
    const bytes = this.bytesOf(input);
    const sha256 = await sha256Hex(bytes);
    const existing = await this.documents.findBySha256(userId, sha256);
    if (existing) return { document: toDocumentResponse(existing), created: false };

    const extracted = await this.extractor.extract(bytes, input.file?.mimetype);
    const { chunks } = extracted;
    if (chunks.length === 0) throw new UnprocessableDocument('The document contains no indexable text');
    const title = documentTitle({
      given: input.title,
      embedded: extracted.title,
      originalName: input.file?.originalname,
      text: extracted.text,
    });
    const saved = await this.documents.createWithChunks(
      {
        userId,
        title,
        mimeType: extracted.mimeType,
        sizeBytes: bytes.length,
        sha256,
        textLength: extracted.text.length,
      },
      chunks,
      this.config.searchLanguage,
    );
    if (saved) {
      this.search.chunksChanged();
      return { document: toDocumentResponse(saved), created: true };
    }
    // A concurrent upload of the same bytes won the unique index; answer with its document.
    const winner = await this.documents.findBySha256(userId, sha256);
    if (!winner) throw new Error('Document vanished after a duplicate-upload conflict');
    return { document: toDocumentResponse(winner), created: false };
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
