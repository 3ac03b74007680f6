import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { PreparedStatements, statement } from '../database/prepared-statements.js';
import type { TextChunk } from './chunking/chunk-text.js';
import { DocumentEntity } from './entities/document.entity.js';

const UNIQUE_VIOLATION = '23505';
// Chunks go in as one JSON parameter per statement. Encoding a batch (JSON.stringify, then pg's UTF-8 copy) runs on
// the event loop, so a batch is kept to a few hundred KB: a few ms of work between two awaits, about a hundred
// statements for a 25 MiB document.
const BATCH_CHARS = 256_000;
const BATCH_ROWS = 250;

export type NewDocument = Pick<DocumentEntity, 'userId' | 'title' | 'mimeType' | 'sizeBytes' | 'sha256' | 'textLength'>;

/** The entity's fields a document response shows (an upload's answer is mapped from its entity). */
export type DocumentSummary = Pick<
  DocumentEntity,
  'id' | 'title' | 'mimeType' | 'sizeBytes' | 'chunkCount' | 'status' | 'createdAt'
>;

/** A summary as the API shows it (`DocumentResponseDto`'s fields), built by the database: see SUMMARY_COLUMNS. */
export interface DocumentSummaryRow {
  id: string;
  title: string;
  mime_type: string;
  size_bytes: number;
  chunk_count: number;
  status: DocumentEntity['status'];
  /** ISO 8601 in UTC with milliseconds, as `Date.toISOString()` writes it (microseconds truncated the same way). */
  created_at: string;
}

// The reads of the document endpoints return rows in the response's shape, the timestamp already text: parsing
// it into a Date (postgres-date's regex match arrays, the Date) and writing it back with toISOString, then copying
// each row into a DTO, was 12 KB of the 134 KB a `GET /api/documents` of 20 rows allocated (sampled profile).
const SUMMARY_COLUMNS = `id, title, mime_type, size_bytes, chunk_count, status,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at`;

const FIND_OWNED = statement(
  'documents_find_owned',
  `SELECT ${SUMMARY_COLUMNS} FROM documents WHERE id = $1 AND user_id = $2`,
);

/**
 * Newest first, in the order of documents_user_created_idx. The sort keys name the table's columns (`d.`): a bare
 * `created_at` in ORDER BY means the output column of that name, the formatted text, which ties within a
 * millisecond and cannot be read in index order.
 */
export const LIST_OWNED = statement(
  'documents_list_owned',
  `SELECT ${SUMMARY_COLUMNS}
   FROM documents d WHERE d.user_id = $1
   ORDER BY d.created_at DESC, d.id DESC
   LIMIT $2 OFFSET $3`,
);

@Injectable()
export class DocumentsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly statements: PreparedStatements,
  ) {}

  private get documents() {
    return this.dataSource.getRepository(DocumentEntity);
  }

  /** The caller's document of this id, or undefined. Prepared, for the reason `list` gives (findOneBy: 41 KB a call). */
  async findOwned(userId: string, id: string): Promise<DocumentSummaryRow | undefined> {
    const rows = await this.statements.rows<DocumentSummaryRow>(FIND_OWNED, [id, userId]);
    return rows[0];
  }

  findBySha256(userId: string, sha256: string): Promise<DocumentEntity | null> {
    return this.documents.findOneBy({ userId, sha256 });
  }

  /**
   * The caller's documents, newest first. A prepared statement rather than `find()` because this is the hot read:
   * with TypeORM's query building and entity hydration a request allocated 223 KB, with raw SQL 156 KB (sampled
   * allocation profile, PostgreSQL, 250 requests/s), and the garbage collector ran a quarter less often.
   */
  list(userId: string, limit: number, offset: number): Promise<DocumentSummaryRow[]> {
    return this.statements.rows<DocumentSummaryRow>(LIST_OWNED, [userId, limit, offset]);
  }

  /** Deletes the caller's document (its chunks cascade); false when there is none of that id for this user. */
  async deleteOwned(userId: string, id: string): Promise<boolean> {
    const result = await this.documents.delete({ id, userId });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Stores a document and all its chunks in one transaction, so a reader never sees a half-indexed document.
   * Resolves `undefined` when the same user already has these bytes (decided by the unique index, not a read).
   */
  async createWithChunks(
    doc: NewDocument,
    chunks: TextChunk[],
    searchLanguage: string,
  ): Promise<DocumentEntity | undefined> {
    try {
      return await this.dataSource.transaction(async (em) => {
        const saved = await em.save(em.create(DocumentEntity, { ...doc, status: 'ready', chunkCount: chunks.length }));
        for (const batch of batches(chunks)) await insertChunks(em, saved, batch, searchLanguage);
        return saved;
      });
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string })?.code === UNIQUE_VIOLATION)
        return undefined;
      throw err;
    }
  }
}

function* batches(chunks: TextChunk[]): Generator<TextChunk[]> {
  let batch: TextChunk[] = [];
  let chars = 0;
  for (const chunk of chunks) {
    if (batch.length && (batch.length >= BATCH_ROWS || chars + chunk.text.length > BATCH_CHARS)) {
      yield batch;
      batch = [];
      chars = 0;
    }
    batch.push(chunk);
    chars += chunk.text.length;
  }
  if (batch.length) yield batch;
}

async function insertChunks(em: EntityManager, doc: DocumentEntity, batch: TextChunk[], language: string) {
  const rows = batch.map((c) => ({
    ordinal: c.ordinal,
    text: c.text,
    start_offset: c.start,
    end_offset: c.end,
    heading_path: c.headingPath,
  }));
  await em.query(
    `INSERT INTO document_chunks
       (document_id, user_id, ordinal, text, start_offset, end_offset, heading_path, search_config)
     SELECT $1, $2, c.ordinal, c.text, c.start_offset, c.end_offset, c.heading_path, $3::regconfig
     FROM jsonb_to_recordset($4::jsonb)
       AS c(ordinal integer, text text, start_offset integer, end_offset integer, heading_path text[])`,
    [doc.id, doc.userId, language, JSON.stringify(rows)],
  );
}
