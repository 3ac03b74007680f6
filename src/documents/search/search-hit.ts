/** One ranked passage as the search repository returns it. */
export interface SearchHit {
  chunkId: string;
  documentId: string;
  title: string;
  text: string;
  ordinal: number;
  headingPath: string[];
  score: number;
  /** ts_headline output with the matches between HIGHLIGHT_START and HIGHLIGHT_STOP. */
  headline: string;
}

// Control characters cannot occur in stored text (normalizeText strips them), so they delimit matches
// unambiguously; the service then escapes the excerpt and turns them into <mark> tags.
export const HIGHLIGHT_START = '\u0002';
export const HIGHLIGHT_STOP = '\u0003';
