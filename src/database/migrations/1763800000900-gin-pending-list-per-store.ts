import { MigrationInterface, QueryRunner } from 'typeorm';

export class GinPendingListPerStore1763800000900 implements MigrationInterface {
  name = 'GinPendingListPerStore1763800000900';

  async up(q: QueryRunner): Promise<void> {
    // Migration 620 set a 256 kB pending list on the index for every store, for embedded PGlite's sake: its one
    // connection waited behind each merge. A PostgreSQL server's other connections do not wait for a merge (an
    // insert that finds one under way skips it), and the small list cost bulk ingestion a third of its speed. The
    // index goes back to the server's setting; PGlite sets its own (PGLITE_SETTINGS, docs/PERFORMANCE.md).
    await q.query(`ALTER INDEX document_chunks_tsv_idx RESET (gin_pending_list_limit)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER INDEX document_chunks_tsv_idx SET (gin_pending_list_limit = 256)`);
  }
}
