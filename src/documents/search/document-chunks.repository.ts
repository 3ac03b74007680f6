import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { HIGHLIGHT_START, HIGHLIGHT_STOP, type SearchHit } from './search-hit.js';

const HEADLINE_OPTIONS =
  `StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_STOP}, ` +
  'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "';

/**
 * The most matching passages one search ranks. Ranking runs ts_rank_cd on every candidate, and a word such as
 * "system" is in nearly every passage: ranking all 100,000 took 0.5-1 s. So a search ranks the first CAP matches in
 * (document_id, ordinal) order (an arbitrary but fixed order, which an index serves) and stops there. Fewer matches
 * than CAP: exact ranking and total, as before. More: the best of the first CAP, and `total` a lower bound.
 *
 * Measured over 100,000 ~1 KB passages of one user, PostgreSQL 15, the 42 queries of `npm run bench` (search),
 * SQL only, limit 10, p95 / p99 in ms: 11.1-11.4 / 34-36 at 500, 10.8-11.9 / 39-52 at 750, 11.9-14.5 / 53-68 at
 * 1,000, 20.5-21.7 / 106-115 at 2,000; with the 2 cores shared with a test run, p95 9-12 at 500 but 15-16 at 1,000.
 * (Each candidate costs a match check and a ts_rank_cd, 1-5 µs; the p99 is a phrase of common words, whose matches
 * must be re-checked row by row.) What the cap costs in quality, on the queries it truncates: the top 10 found carry
 * 76% of the score of the exact top 10 at 500, 80% at 750, 82% at 1,000, 84% at 2,000. Such words are in most
 * passages, so they barely discriminate anyway; 500 keeps the target (p95 20 ms over HTTP) with room to spare.
 * (Those figures are from the table-order scan the ordered index walk replaced; the walk, with 29,000 passages of
 * another user stored ahead of the caller's: p95 14.8, p99 29.7, where a table-order sequential scan took 43.8 / 70.9.)
 */
export const RANKED_CANDIDATES_CAP = 500;

export interface RankedPage {
  hits: SearchHit[];
  /** Matching passages of the user; at most `cap`, see `totalIsLowerBound`. */
  total: number;
  /** True when the cap was reached: more passages may match, and only the first `cap` were ranked. */
  totalIsLowerBound: boolean;
}

interface HitRow {
  chunk_id: string;
  document_id: string;
  title: string;
  text: string;
  ordinal: number;
  heading_path: string[];
  score: number;
  headline: string;
  matched: string;
}

/*
 * websearch_to_tsquery($2::regconfig, $3) is written inline rather than computed once in a CTE: with the values bound
 * (TypeORM runs unnamed statements, planned per execution) the call folds to a constant, so the planner knows the
 * query's lexemes and their frequency. A common word then walks document_chunks_user_document_idx (the caller's
 * passages in (document_id, ordinal) order) and stops after `cap` matches; a rarer one takes the GIN index and sorts
 * its few matches. Behind a CTE every query looked rare, and the bitmap of 100,000 matches alone took 10-20 ms.
 * ts_rank_cd runs in `candidates`: on the walked rows for a common word, and on each match before the sort for a
 * rarer one (ranking after the LIMIT instead carries every tsvector through the sort, and measured no faster: p95
 * 15.2-15.7 ms against 14.2-15.0, SQL only). The text is read and ts_headline re-parses it for the returned page only.
 *
 * "The first `cap` matches" are defined by the ORDER BY, not by where rows sit in the table, so every plan (index
 * walk, bitmap and sort, parallel scan) picks the same ones: page 2 continues page 1, and a repeated tool call
 * returns the same passages. It also keeps other users out of the work: a sequential scan that stopped at the cap
 * in table order read every passage stored ahead of the caller's first match, other users' included.
 *
 * Passages of a document still being stored (`processing`) are left out before they take a candidate's place: the
 * NOT IN is a hashed set of the caller's few unfinished documents, usually empty, checked per candidate.
 */
const SEARCH_SQL = `
  WITH candidates AS (
    SELECT c.id, c.document_id, c.ordinal, ts_rank_cd(c.tsv, websearch_to_tsquery($2::regconfig, $3), 32) AS score
    FROM document_chunks c
    WHERE c.user_id = $1 AND c.tsv @@ websearch_to_tsquery($2::regconfig, $3)
      AND c.document_id NOT IN (SELECT s.id FROM documents s WHERE s.user_id = $1 AND s.status <> 'ready')
    ORDER BY c.document_id, c.ordinal
    LIMIT $7
  ),
  page AS (
    SELECT k.*, count(*) OVER () AS matched
    FROM candidates k
    ORDER BY k.score DESC, k.document_id, k.ordinal
    LIMIT $4 OFFSET $5
  )
  SELECT p.id AS chunk_id, p.document_id, d.title, c.text, p.ordinal, c.heading_path, p.score, p.matched,
         ts_headline($2::regconfig, c.text, websearch_to_tsquery($2::regconfig, $3), $6) AS headline
  FROM page p
  JOIN document_chunks c ON c.id = p.id
  JOIN documents d ON d.id = p.document_id AND d.user_id = $1
  ORDER BY p.score DESC, p.document_id, p.ordinal`;

/**
 * The search statement and its parameters. Exported so `npm run bench` can time this exact SQL straight against
 * PostgreSQL, beside the same search over HTTP.
 */
export function searchStatement(
  userId: string,
  query: string,
  language: string,
  page: { limit: number; offset: number },
  cap = RANKED_CANDIDATES_CAP,
): [string, unknown[]] {
  return [SEARCH_SQL, [userId, language, query, page.limit, page.offset, HEADLINE_OPTIONS, cap]];
}

const QUERY_CANCELED = '57014';

/** PostgreSQL stopped a search at its statement timeout. */
export class SearchTimeout extends Error {
  constructor() {
    super('The search statement ran past its timeout');
    this.name = 'SearchTimeout';
  }
}

/** Autovacuum's default analyze threshold: 50 rows plus 10% of the table changed since the last ANALYZE. */
const ANALYZE_BASE_ROWS = 50;
const ANALYZE_SCALE = 0.1;

@Injectable()
export class DocumentChunksRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /**
   * Full-text search over one user's chunks: `websearch_to_tsquery` against the GIN-indexed tsvector, ranked by
   * `ts_rank_cd` (cover density, normalized to [0, 1)) among the first `cap` matches by (document, ordinal), ties
   * broken by document and ordinal.
   * Headlines are computed for the returned page only, since ts_headline re-parses the text.
   *
   * On PostgreSQL the statement runs in a transaction of its own with `statement_timeout` set for it alone (SET
   * LOCAL), so no corpus holds a connection longer than `timeoutMs`; past it, `SearchTimeout`. PGlite accepts the
   * setting but never interrupts a query (it has no timer signal), so there the statement runs as it is and the
   * per-user passage limit is what bounds it. (Searching a large corpus in slices, one statement each, was measured
   * and not kept: it held PGlite's connection a third as long per statement but made searches 2 to 20 times slower.)
   */
  async search(
    userId: string,
    query: string,
    language: string,
    page: { limit: number; offset: number },
    cap = RANKED_CANDIDATES_CAP,
    timeoutMs?: number,
  ): Promise<RankedPage> {
    const [sql, values] = searchStatement(userId, query, language, page, cap);
    let rows: HitRow[];
    try {
      rows =
        timeoutMs === undefined || this.config.database.kind === 'pglite'
          ? await this.dataSource.query(sql, values)
          : await this.dataSource.transaction(async (em) => {
              await em.query(`SELECT set_config('statement_timeout', $1, true)`, [String(timeoutMs)]);
              return em.query<HitRow[]>(sql, values);
            });
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string })?.code === QUERY_CANCELED) {
        throw new SearchTimeout();
      }
      throw err;
    }
    // An empty page (no match, or an offset past the matches) carries no count.
    const total = rows.length ? Number(rows[0].matched) : 0;
    return {
      total,
      totalIsLowerBound: total >= cap,
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

  /**
   * ANALYZEs document_chunks when autovacuum would have, by its default threshold, and returns whether it did.
   * Search plans depend on these statistics (how common each word is) and nothing else may collect them: PGlite runs
   * no autovacuum at all, and a server may have it off (our CI's PostgreSQL does).
   */
  async analyzeIfStale(): Promise<boolean> {
    const [row] = await this.dataSource.query(
      `SELECT s.n_mod_since_analyze AS modified, c.reltuples AS tuples
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
       WHERE s.relid = 'document_chunks'::regclass`,
    );
    // reltuples is -1 until the first VACUUM or ANALYZE.
    const threshold = ANALYZE_BASE_ROWS + ANALYZE_SCALE * Math.max(0, Number(row?.tuples ?? 0));
    if (!row || Number(row.modified) <= threshold) return false;
    await this.dataSource.query('ANALYZE document_chunks');
    return true;
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
