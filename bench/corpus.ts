import { seededRandom } from '../test/support/seeded-random.js';

/**
 * Deterministic prose for the search and ingestion scenarios. Words follow a Zipf distribution over a vocabulary of
 * real common words followed by generated rarer ones, so queries span the selectivity real corpora have: a common
 * word matches most passages, a rare one a handful. Same seed, same text, on every machine.
 */

const COMMON = (
  'system customer report service account policy process update team project request payment contract invoice ' +
  'delivery support market product review budget schedule quality security network storage release feature ' +
  'partner training audit'
).split(' ');
const STOPWORDS = 'the and of to in for with on by is that from'.split(' ');
const SYLLABLES = 'ka lo mi ren tas vor ul bri den sho pra gel fin zu quo nex'.split(' ');
const VOCABULARY_SIZE = 8_000;

/** Rank `i` of the vocabulary: the common words first, then generated three-to-four-syllable words. */
export function word(rank: number): string {
  if (rank < COMMON.length) return COMMON[rank];
  let n = rank;
  let out = '';
  for (let s = 0; s < 3 || n > 0; s++) {
    out += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  }
  return out;
}

const CUMULATIVE = (() => {
  const weights = Array.from({ length: VOCABULARY_SIZE }, (_, r) => 1 / (r + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  return weights.map((w) => (sum += w / total));
})();

function zipfRank(u: number): number {
  let lo = 0;
  let hi = CUMULATIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CUMULATIVE[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Corpus {
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  sentence(): string {
    const length = 8 + Math.floor(this.random() * 10);
    const words: string[] = [];
    for (let i = 0; i < length; i++) {
      words.push(
        this.random() < 0.3 ? STOPWORDS[Math.floor(this.random() * STOPWORDS.length)] : word(zipfRank(this.random())),
      );
    }
    const text = words.join(' ');
    return `${text[0].toUpperCase()}${text.slice(1)}.`;
  }

  paragraph(): string {
    const count = 3 + Math.floor(this.random() * 4);
    return Array.from({ length: count }, () => this.sentence()).join(' ');
  }

  /** Paragraphs separated by blank lines until at least `bytes` bytes (UTF-8, all ASCII here). */
  text(bytes: number): string {
    const parts: string[] = [];
    let size = 0;
    while (size < bytes) {
      const p = this.paragraph();
      parts.push(p);
      size += p.length + 2;
    }
    return parts.join('\n\n');
  }

  paragraphs(bytes: number): string[] {
    return this.text(bytes).split('\n\n');
  }
}

/** A word no generated text contains (letters only, so every text search parser keeps it whole). */
export function marker(n: number): string {
  let out = 'qzx';
  do {
    out += String.fromCharCode(97 + (n % 26));
    n = Math.floor(n / 26);
  } while (n > 0);
  return out;
}

/**
 * The rotating search queries: common single words (matching most passages), mid-frequency and rare words,
 * AND pairs, quoted phrases, `or` and `-exclusion`, in websearch_to_tsquery syntax.
 */
export function searchQueries(): string[] {
  const common = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(word);
  const mid = [60, 120, 200, 350, 500, 800].map(word);
  const rare = [2500, 3700, 4900, 6100, 7300, 7900].map(word);
  return [
    ...common,
    ...mid,
    ...rare,
    `${common[0]} ${common[1]}`,
    `${common[2]} ${common[8]}`,
    `${common[3]} ${mid[0]}`,
    `${mid[1]} ${mid[2]}`,
    `${common[4]} ${rare[0]}`,
    `${mid[3]} ${rare[1]}`,
    `"${common[0]} ${common[1]}"`,
    `"${common[5]} the ${common[6]}"`,
    `"${mid[4]} ${common[2]}"`,
    `${common[7]} or ${mid[5]}`,
    `${rare[2]} or ${rare[3]}`,
    `${mid[0]} or ${rare[4]}`,
    `${common[9]} -${common[0]}`,
    `${mid[2]} -${common[1]}`,
    `${common[3]} ${common[4]} ${common[5]}`,
    `${rare[5]} ${common[6]}`,
    `${word(1500)}`,
    `${word(1000)} ${word(40)}`,
    `${word(30)}`,
    `${word(31)}`,
  ];
}
