import { MigrationInterface, QueryRunner } from 'typeorm';

export class SmallChunkGinPendingList1763800000620 implements MigrationInterface {
  name = 'SmallChunkGinPendingList1763800000620';

  async up(q: QueryRunner): Promise<void> {
    // New passages go to the GIN index's pending list, and the insert that fills it (4 MB by default, about 11,000
    // passages) merges the whole list into the index inside that one statement: on embedded PGlite, with its single
    // connection, every other request waited about a second behind that batch. A 256 kB list is merged a little at
    // a time, over many statements (figures in SECURITY.md, "Hostile documents").
    await q.query(`ALTER INDEX document_chunks_tsv_idx SET (gin_pending_list_limit = 256)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER INDEX document_chunks_tsv_idx RESET (gin_pending_list_limit)`);
  }
}
