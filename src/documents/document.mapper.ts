import { DocumentResponseDto } from './dto/document-response.dto.js';
import type { DocumentEntity } from './entities/document.entity.js';

export function toDocumentResponse(doc: DocumentEntity): DocumentResponseDto {
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
