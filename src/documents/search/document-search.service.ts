import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { DocumentChunksRepository } from './document-chunks.repository.js';
import { HIGHLIGHT_START, HIGHLIGHT_STOP, type SearchHit } from './search-hit.js';

export interface SearchPage {
  hits: Array<SearchHit & { highlight: string }>;
  /** Every matching passage of this user, not only this page. */
  total: number;
}

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
export class DocumentSearchService {
  constructor(
    private readonly chunks: DocumentChunksRepository,
    private readonly config: AppConfig,
  ) {}

  async search(userId: string, query: string, page: { limit: number; offset: number }): Promise<SearchPage> {
    const { hits, total } = await this.chunks.search(
      userId,
      query,
      this.config.searchLanguage,
      page.limit,
      page.offset,
    );
    return { total, hits: hits.map((hit) => ({ ...hit, highlight: toHighlightHtml(hit.headline) })) };
  }
}
