import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { SearchTimedOut } from '../documents.errors.js';
import { DocumentChunksRepository, SearchTimeout, type RankedPage } from './document-chunks.repository.js';
import { HIGHLIGHT_START, HIGHLIGHT_STOP, type SearchHit } from './search-hit.js';

export interface SearchPage {
  hits: Array<SearchHit & { highlight: string }>;
  /** Every matching passage of this user, not only this page; a lower bound when `totalIsLowerBound`. */
  total: number;
  /**
   * More passages matched than one search ranks (RANKED_CANDIDATES_CAP): the hits are the best of the first ones
   * found, and `total` means "at least".
   */
  totalIsLowerBound: boolean;
}

/** How often searches check whether the chunk statistics went stale (one catalog query). */
const STATISTICS_CHECK_INTERVAL_MS = 60_000;
/** Quiet time after the last upload before the statistics are checked: a bulk load is analyzed once, at its end. */
const CHECK_AFTER_UPLOADS_MS = 2_000;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Turns ts_headline's excerpt into safe HTML: the document's own text is escaped (it may contain markup or a
 * script), then our delimiters become <mark> tags, adjacent ones merged ("<mark>30 days</mark>").
 */
export function toHighlightHtml(headline: string): string {
  return headline
    .replace(/[&<>"']/g, (c) => ESCAPES[c])
    .replaceAll(HIGHLIGHT_START, '<mark>')
    .replaceAll(HIGHLIGHT_STOP, '</mark>')
    .replace(/<\/mark>(\s+)<mark>/g, '$1');
}

/** Ranked full-text search over the caller's passages; what the HTTP API and the `search_documents` tool share. */
@Injectable()
export class DocumentSearchService implements OnModuleDestroy {
  private readonly logger = new Logger('Documents');
  private statisticsCheckDue = 0;
  private statisticsRefresh?: Promise<void>;
  private afterUploads?: NodeJS.Timeout;

  constructor(
    private readonly chunks: DocumentChunksRepository,
    private readonly config: AppConfig,
  ) {}

  /** Throws `SearchTimedOut` (503) when the search runs past SEARCH_TIMEOUT_MS. */
  async search(userId: string, query: string, page: { limit: number; offset: number }): Promise<SearchPage> {
    const { searchTimeoutMs } = this.config.documents;
    let ranked: RankedPage;
    try {
      ranked = await this.chunks.search(userId, query, this.config.searchLanguage, page, undefined, searchTimeoutMs);
    } catch (err) {
      if (err instanceof SearchTimeout) throw new SearchTimedOut(searchTimeoutMs);
      throw err;
    } finally {
      this.refreshStatisticsSoon();
    }
    const { hits, total, totalIsLowerBound } = ranked;
    return {
      total,
      totalIsLowerBound,
      hits: hits.map((hit) => ({ ...hit, highlight: toHighlightHtml(hit.headline) })),
    };
  }

  /**
   * Passages were stored. Statistics are checked once uploads pause, not only on the next search after the
   * minute: a bulk load followed by searches would otherwise be searched with the empty table's statistics for up
   * to a minute, and without statistics common words take the slow plan.
   */
  chunksChanged(): void {
    clearTimeout(this.afterUploads);
    this.afterUploads = setTimeout(() => {
      void (this.statisticsRefresh ?? Promise.resolve()).then(() => {
        this.statisticsCheckDue = 0;
        this.refreshStatisticsSoon();
      });
    }, CHECK_AFTER_UPLOADS_MS);
    this.afterUploads.unref();
  }

  /** Lets a statistics refresh still running finish before the database closes. */
  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.afterUploads);
    await this.statisticsRefresh;
  }

  /**
   * Without fresh statistics the planner cannot tell a word in every passage from a rare one, and common words then
   * take the slow path (measured: p95 35 ms instead of 11-14). Where no autovacuum keeps them (PGlite, a server with it
   * off), searches re-collect them at most once a minute, after answering and without waiting: the search that finds
   * them stale is not delayed by the ANALYZE (~0.6 s for 100,000 passages on PostgreSQL; on PGlite, which has one
   * connection, the requests right behind it wait for it).
   */
  private refreshStatisticsSoon(): void {
    const now = Date.now();
    if (this.statisticsRefresh || now < this.statisticsCheckDue) return;
    this.statisticsCheckDue = now + STATISTICS_CHECK_INTERVAL_MS;
    const started = performance.now();
    this.statisticsRefresh = this.chunks
      .analyzeIfStale()
      .then((analyzed) => {
        if (analyzed) {
          this.logger.log({ msg: 'analyzed document chunks', ms: Math.round(performance.now() - started) });
        }
      })
      .catch((err: unknown) => {
        this.logger.warn({ msg: 'could not analyze document chunks', error: (err as Error).message });
      })
      .finally(() => {
        this.statisticsRefresh = undefined;
      });
  }
}
