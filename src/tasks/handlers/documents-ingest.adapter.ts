import { Injectable } from '@nestjs/common';
import { DocumentsService } from '../../documents/documents.service.js';
import type { DocumentResponseDto } from '../../documents/dto/document-response.dto.js';

export interface IngestInput {
  title?: string;
  content?: string;
  file?: { buffer: Buffer; originalname: string; mimetype: string; size: number };
}

/**
 * The documents module's upload path as tasks use it, in one place: `DocumentsService.upload` (the same parsing,
 * chunking, indexing and duplicate check as `POST /api/documents`) and `DocumentsService.remove`.
 */
@Injectable()
export class DocumentsIngestAdapter {
  constructor(private readonly documents: DocumentsService) {}

  ingest(userId: string, input: IngestInput): Promise<{ document: DocumentResponseDto; created: boolean }> {
    return this.documents.upload(userId, input);
  }

  discard(userId: string, documentId: string): Promise<void> {
    return this.documents.remove(userId, documentId);
  }
}
