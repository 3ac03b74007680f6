import { Buffer } from 'node:buffer';
import { constants, inflateSync } from 'node:zlib';
import { mebibytes, ParseFailure } from './parse-failure.mjs';

const WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIMITERS = new Set([...WHITESPACE, 0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]);
const GREATER = 0x3e;
// Where a stream's dictionary is looked for, back from its `stream` keyword.
const DICTIONARY_WINDOW = 64 * 1024;
const FIRST_FILTER = /\/Filter\s*(?:\/([A-Za-z0-9]+)|\[\s*\/([A-Za-z0-9]+))/;
// A token that shows text, with the bytes allowed right before it (`(Hello)Tj`, `<48>Tj`, `[…]TJ`, `(Hi)'`).
const TEXT_OPERATORS = [
  ['Tj', [...WHITESPACE, 0x29, 0x3e]],
  ['TJ', [...WHITESPACE, 0x5d]],
  ["'", [...WHITESPACE, 0x29, 0x3e]],
  ['"', [...WHITESPACE, 0x29, 0x3e]],
].map(([token, before]) => ({ token: Buffer.from(token, 'latin1'), before: new Set(before) }));

const format = (n) => n.toLocaleString('en-US');

/** Counts text-showing operators in `data`, stopping once the count passes `budget`. */
function countTextOperators(data, budget) {
  let count = 0;
  for (const { token, before } of TEXT_OPERATORS) {
    for (let at = data.indexOf(token); at !== -1 && count <= budget; at = data.indexOf(token, at + token.length)) {
      const after = at + token.length;
      if ((at === 0 || before.has(data[at - 1])) && (after === data.length || DELIMITERS.has(data[after]))) count++;
    }
  }
  return count;
}

/** The first filter a stream's dictionary names, `null` for none, `undefined` when it cannot be told. */
function firstFilter(buf, dictionaryEnd) {
  const from = Math.max(0, dictionaryEnd - DICTIONARY_WINDOW);
  const window = buf.subarray(from, dictionaryEnd + 1);
  const objectStart = window.lastIndexOf('obj');
  if (objectStart === -1) return undefined;
  const dictionary = window.toString('latin1', objectStart);
  if (!dictionary.includes('/Filter')) return null;
  const match = FIRST_FILTER.exec(dictionary);
  return match ? (match[1] ?? match[2]) : undefined;
}

/**
 * Reads a PDF's streams before pdf.js does, to refuse what pdf.js would otherwise decode without limit: a Flate
 * stream that decompresses past `maxPartBytes` (each) or `maxExpandedBytes` (all together, a 1 MB file can hold a
 * 1 GB stream), and content with more than `maxPdfTextOperators` text-showing operators (millions of them keep a
 * worker busy for a minute while extracting next to nothing). Each stream is inflated with zlib's output limit, so
 * inflating stops at the limit; its bytes are counted and dropped. Streams it cannot read (encrypted, other
 * filters) are left to pdf.js, under the worker's memory limit.
 */
export function checkPdfLimits(bytes, { maxPartBytes, maxExpandedBytes, maxPdfTextOperators }) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let expanded = 0;
  let operators = 0;
  let at = buf.indexOf('stream');
  while (at !== -1) {
    let next = at + 'stream'.length;
    let end = buf.length;
    let k = at - 1;
    while (k > 0 && WHITESPACE.has(buf[k])) k--;
    const opensStream = buf[k] === GREATER && buf[k - 1] === GREATER && buf.toString('latin1', at - 3, at) !== 'end';
    if (opensStream) {
      let start = next;
      if (buf[start] === 0x0d) start++;
      if (buf[start] === 0x0a) start++;
      const endKeyword = buf.indexOf('endstream', start);
      if (endKeyword !== -1) end = endKeyword;
      next = end;
      const filter = firstFilter(buf, k);
      let data;
      if (filter === null) data = buf.subarray(start, end);
      if (filter === 'FlateDecode') {
        const allowed = Math.min(maxPartBytes, maxExpandedBytes - expanded);
        try {
          data = inflateSync(buf.subarray(start, end), {
            maxOutputLength: Math.max(1, allowed),
            finishFlush: constants.Z_SYNC_FLUSH,
          });
        } catch (err) {
          if (err?.code !== 'ERR_BUFFER_TOO_LARGE') data = undefined;
          else if (allowed === maxPartBytes) throw streamTooLarge(maxPartBytes);
          else throw allTooLarge(maxExpandedBytes);
        }
        if (data) {
          expanded += data.length;
          if (expanded > maxExpandedBytes) throw allTooLarge(maxExpandedBytes);
        }
      }
      if (data) {
        operators += countTextOperators(data, maxPdfTextOperators - operators);
        if (operators > maxPdfTextOperators) {
          throw new ParseFailure(
            'TOO_LARGE',
            `The PDF has more than ${format(maxPdfTextOperators)} text operators (the limit for one document)`,
          );
        }
      }
    }
    at = buf.indexOf('stream', next);
  }
}

const streamTooLarge = (limit) =>
  new ParseFailure(
    'TOO_LARGE',
    `The PDF is too large once decompressed: one of its streams is more than ${mebibytes(limit)} ` +
      '(the limit for one stream)',
  );

const allTooLarge = (limit) =>
  new ParseFailure(
    'TOO_LARGE',
    `The PDF is too large once decompressed: its streams come to more than ${mebibytes(limit)} ` +
      '(the limit for one document)',
  );
