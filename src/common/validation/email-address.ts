/**
 * Characters that render as nothing or change nothing visible: zero-width space, joiners, word joiner, BOM, soft
 * hyphen, bidi controls, variation selectors, Hangul fillers, tag characters, and the other format characters.
 * An address carrying one looks exactly like the address without it.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;

/** Longer input is refused by validation anyway (320 at most); NFKC can expand a character up to 18-fold. */
const MAX_NORMALIZED_INPUT = 1024;

/**
 * The one spelling of an email address that uniqueness, sign-in and throttling compare: invisible characters
 * removed, NFKC (full-width and other compatibility forms become their plain letters; a letter with a combining
 * accent and its precomposed form become one), then case-folded. JavaScript has no full case folding;
 * lower-upper-lower reaches it for every character that folds to several (`ß`, `ẞ` -> `ss`, final sigma), and the
 * second NFKC composes what folding decomposed. Idempotent: a normalized address normalizes to itself.
 */
export function normalizeEmail(email: string): string {
  return email
    .replace(INVISIBLE, '')
    .normalize('NFKC')
    .toLowerCase()
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .trim();
}

/** For a value straight from a request: strings of a plausible length are normalized, anything else is left to validation. */
export function normalizeEmailInput(value: unknown): unknown {
  return typeof value === 'string' && value.length <= MAX_NORMALIZED_INPUT ? normalizeEmail(value) : value;
}

/**
 * Matches an address without a quoted local part. `"victim"@x.io` is valid RFC 5321 but names, to a reader, the
 * same mailbox as its unquoted twin, and no address we need is written that way. A quote or backslash appears in
 * no unquoted address, so refusing both is enough.
 */
export const UNQUOTED_EMAIL = /^[^"\\]*$/;
