import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateDocuments1763800000200 implements MigrationInterface {
  name = 'CreateDocuments1763800000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE documents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title varchar(300) NOT NULL,
        mime_type varchar(100) NOT NULL,
        size_bytes integer NOT NULL CHECK (size_bytes >= 0),
        sha256 char(64) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'ready' CHECK (status IN ('processing', 'ready', 'failed')),
        chunk_count integer NOT NULL DEFAULT 0,
        text_length integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- Re-uploading the same bytes returns the existing document; the index decides, not a racy read.
        CONSTRAINT documents_user_sha256_key UNIQUE (user_id, sha256),
        -- Target of the chunks' composite foreign key, so a chunk can never belong to another user's document.
        CONSTRAINT documents_id_user_key UNIQUE (id, user_id)
      )`);
    await q.query(`CREATE INDEX documents_user_created_idx ON documents (user_id, created_at DESC, id)`);

    // The tsvector is generated from a per-row regconfig rather than a constant baked in here: a generated column
    // needs an immutable expression, and to_tsvector(regconfig, text) is one, so the configured SEARCH_LANGUAGE is
    // written with each chunk and a later change of it re-indexes rows with a plain UPDATE of search_config (done
    // at boot by SearchLanguageSync). Baking the value into this migration would freeze the first deployment's
    // language forever. No default: the application always states the language it indexes with.
    await q.query(`
      CREATE TABLE document_chunks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        document_id uuid NOT NULL,
        user_id uuid NOT NULL,
        ordinal integer NOT NULL CHECK (ordinal >= 0),
        text text NOT NULL,
        start_offset integer NOT NULL CHECK (start_offset >= 0),
        end_offset integer NOT NULL,
        heading_path text[] NOT NULL DEFAULT '{}',
        search_config regconfig NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector(search_config, text)) STORED,
        CONSTRAINT document_chunks_document_fkey FOREIGN KEY (document_id, user_id)
          REFERENCES documents (id, user_id) ON DELETE CASCADE,
        CONSTRAINT document_chunks_document_ordinal_key UNIQUE (document_id, ordinal),
        CONSTRAINT document_chunks_offsets_check CHECK (end_offset > start_offset)
      )`);
    await q.query(`CREATE INDEX document_chunks_user_id_idx ON document_chunks (user_id)`);
    await q.query(`CREATE INDEX document_chunks_tsv_idx ON document_chunks USING gin (tsv)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE document_chunks`);
    await q.query(`DROP TABLE documents`);
  }
}
