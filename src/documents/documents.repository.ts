import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { PreparedStatements, statement } from '../database/prepared-statements.js';
import type { TextChunk } from './chunking/chunk-text.js';
import { DocumentEntity } from './entities/document.entity.js';

const UNIQUE_VIOLATION = '23505';
// The key space of the advisory locks that serialize one user's reservations (the user is the second key).
const RESERVATION_LOCK = 0x646f63;
// Chunks go in as one JSON parameter per statement. Encoding a batch (JSON.stringify, then pg's UTF-8 copy) runs on
// the event loop, so a batch is kept to a few hundred KB: a few ms of work between two awaits, about a hundred
// statements for a 25 MiB document.
const BATCH_CHARS = 256_000;
const BATCH_ROWS = 250;

export type NewDocument = Pick<DocumentEntity, 'userId' | 'title' | 'mimeType' | 'sizeBytes' | 'sha256' | 'textLength'>;

export type Reservation =
  | { kind: 'reserved'; document: DocumentEntity }
  /** The user already has a document of these bytes (perhaps still being stored). */
  | { kind: 'duplicate' }
  /** Storing it would take the user past `maxPassagesPerUser`; `stored` is what they have now. */
  | { kind: 'over-quota'; stored: number };

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

// Readers see a document only once all its passages are stored (see `reserve`): `status = 'ready'` everywhere.
const FIND_OWNED = statement(
  'documents_find_owned',
  `SELECT ${SUMMARY_COLUMNS} FROM documents WHERE id = $1 AND user_id = $2 AND status = 'ready'`,
);

/**
 * Newest first, in the order of documents_user_created_idx. The sort keys name the table's columns (`d.`): a bare
 * `created_at` in ORDER BY means the output column of that name, the formatted text, which ties within a
 * millisecond and cannot be read in index order.
 */
export const LIST_OWNED = statement(
  'documents_list_owned',
  `SELECT ${SUMMARY_COLUMNS}
   FROM documents d WHERE d.user_id = $1 AND d.status = 'ready'
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
    const result = await this.documents.delete({ id, userId, status: 'ready' });
    return (result.affected ?? 0) > 0;
  }

  /**
   * The first step of storing a document: its row, `processing` (invisible to lists, gets and searches) and counting
   * its passages against the user's quota. One user's reservations are serialized by an advisory lock held for this
   * short transaction, so two uploads cannot both fit in the last of the quota. Duplicates are decided by the
   * unique index on (user, sha256), not by a read.
   */
  async reserve(doc: NewDocument, passages: number, maxPassagesPerUser: number): Promise<Reservation> {
    try {
      return await this.dataSource.transaction(async (em): Promise<Reservation> => {
        await em.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [RESERVATION_LOCK, doc.userId]);
        const [{ stored }] = await em.query<Array<{ stored: number }>>(
          `SELECT COALESCE(sum(chunk_count), 0)::int AS stored FROM documents WHERE user_id = $1`,
          [doc.userId],
        );
        if (stored + passages > maxPassagesPerUser) return { kind: 'over-quota', stored };
        const document = await em.save(
          em.create(DocumentEntity, { ...doc, status: 'processing', chunkCount: passages }),
        );
        return { kind: 'reserved', document };
      });
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string })?.code === UNIQUE_VIOLATION)
        return { kind: 'duplicate' };
      throw err;
    }
  }

  /**
   * Stores a reserved document's passages, one batch per statement, each committed on its own: on embedded PGlite,
   * whose single connection every request shares, a large document then holds it for one batch at a time (a few
   * milliseconds), and the requests queued meanwhile run between two batches.
   */
  async insertChunks(doc: DocumentEntity, chunks: TextChunk[], searchLanguage: string): Promise<void> {
    for (const batch of batches(chunks)) await insertChunks(this.dataSource.manager, doc, batch, searchLanguage);
  }

  /** Makes a fully stored document visible; false if it is no longer there to publish. */
  async markReady(id: string): Promise<boolean> {
    const result = await this.documents.update({ id, status: 'processing' }, { status: 'ready' });
    return (result.affected ?? 0) > 0;
  }

  /** Removes a document whose storing failed, with whatever passages it got. */
  async discard(id: string): Promise<void> {
    await this.documents.delete({ id, status: 'processing' });
  }

  /** Removes documents left `processing` (by a crash mid-upload) created more than `olderThanMs` ago. */
  async discardStale(olderThanMs: number): Promise<number> {
    const [, affected] = await this.dataSource.query(
      `DELETE FROM documents WHERE status = 'processing' AND created_at < now() - make_interval(secs => $1)`,
      [olderThanMs / 1000],
    );
    return Number(affected ?? 0);
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
