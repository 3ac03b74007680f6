import { DocumentResponseDto } from './dto/document-response.dto.js';
import type { DocumentSummary } from './documents.repository.js';

export function toDocumentResponse(doc: DocumentSummary): DocumentResponseDto {
  return {
    id: doc.id,
    title: doc.title,
    mime_type: doc.mimeType,
    size_bytes: doc.sizeBytes,
    chunk_count: doc.chunkCount,
    status: doc.status,
    created_at: doc.createdAt.toISOString(),
  };
}
