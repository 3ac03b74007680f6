import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HIGHLIGHT_START, HIGHLIGHT_STOP, type SearchHit } from './search-hit.js';

const HEADLINE_OPTIONS =
  `StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_STOP}, ` +
  'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "';

interface HitRow {
  chunk_id: string;
  document_id: string;
  title: string;
  text: string;
  ordinal: number;
  heading_path: string[];
  score: number;
  headline: string;
  total: string;
}

@Injectable()
export class DocumentChunksRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Full-text search over one user's chunks: `websearch_to_tsquery` against the GIN-indexed tsvector, ranked by
   * `ts_rank_cd` (cover density, normalized to [0, 1)). Headlines are computed for the returned page only, since
   * ts_headline re-parses the text. `total` counts every match, not just the page.
   */
  async search(
    userId: string,
    query: string,
    language: string,
    limit: number,
    offset: number,
  ): Promise<{ hits: SearchHit[]; total: number }> {
    const rows: HitRow[] = await this.dataSource.query(
      `WITH q AS (SELECT websearch_to_tsquery($2::regconfig, $3) AS query),
       ranked AS (
         SELECT c.id, c.document_id, c.text, c.ordinal, c.heading_path,
                ts_rank_cd(c.tsv, q.query, 32) AS score, count(*) OVER () AS total
         FROM document_chunks c, q
         WHERE c.user_id = $1 AND c.tsv @@ q.query
         ORDER BY score DESC, c.document_id, c.ordinal
         LIMIT $4 OFFSET $5
       )
       SELECT r.id AS chunk_id, r.document_id, d.title, r.text, r.ordinal, r.heading_path, r.score, r.total,
              ts_headline($2::regconfig, r.text, q.query, $6) AS headline
       FROM ranked r
       JOIN documents d ON d.id = r.document_id AND d.user_id = $1
       CROSS JOIN q
       ORDER BY r.score DESC, r.document_id, r.ordinal`,
      [userId, language, query, limit, offset, HEADLINE_OPTIONS],
    );
    return {
      total: rows.length ? Number(rows[0].total) : 0,
      hits: rows.map((r) => ({
        chunkId: r.chunk_id,
        documentId: r.document_id,
        title: r.title,
        text: r.text,
        ordinal: r.ordinal,
        headingPath: r.heading_path,
        score: Number(r.score),
        headline: r.headline,
      })),
    };
  }

  /** Whether PostgreSQL knows this text search configuration. */
  async languageExists(language: string): Promise<boolean> {
    // Resolved the way `'name'::regconfig` is (through search_path), without the error a cast would raise.
    const [row] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM pg_ts_config c WHERE c.cfgname = $1 AND pg_ts_config_is_visible(c.oid)) AS ok`,
      [language],
    );
    return row.ok === true;
  }

  /** Re-indexes chunks stored under another configuration (the generated tsvector follows search_config). */
  async reindex(language: string): Promise<number> {
    const [, affected] = await this.dataSource.query(
      `UPDATE document_chunks SET search_config = $1::regconfig WHERE search_config <> $1::regconfig`,
      [language],
    );
    return Number(affected ?? 0);
  }
}
