import { Buffer } from 'node:buffer';
import yauzl from 'yauzl';
import { mebibytes, ParseFailure } from './parse-failure.mjs';

// A DOCX is a handful of parts (tens with images); a zip of many thousands is not a Word document.
const MAX_ENTRIES = 10_000;
const NAME_IN_MESSAGE = 100;

const corrupt = () =>
  new ParseFailure('CORRUPT', 'The DOCX file is corrupt or is not a Word document and could not be read');

const partName = (entry) => `its part ${entry.fileName.slice(0, NAME_IN_MESSAGE)}`;

const partTooLarge = (entry, limit) =>
  new ParseFailure(
    'TOO_LARGE',
    `The DOCX file is too large once decompressed: ${partName(entry)} is more than ${mebibytes(limit)} ` +
      '(the limit for one part)',
  );

const allTooLarge = (limit) =>
  new ParseFailure(
    'TOO_LARGE',
    `The DOCX file is too large once decompressed: its parts come to more than ${mebibytes(limit)} ` +
      '(the limit for one document)',
  );

/** Decompresses one entry into nothing, counting; stops (and throws) as soon as it passes `allowed` bytes. */
async function expandedSize(zip, entry, allowed, limitError) {
  let size = 0;
  let stream;
  try {
    stream = await zip.openReadStreamPromise(entry);
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > allowed) throw limitError();
    }
  } catch (err) {
    if (err instanceof ParseFailure) throw err;
    // yauzl checks every entry against the size the archive declares for it: one that inflates past it is a lie.
    throw new ParseFailure(
      'CORRUPT',
      `The DOCX file is corrupt: ${partName(entry)} does not match the size the archive declares for it`,
    );
  } finally {
    stream?.destroy();
  }
  return size;
}

/**
 * Refuses a DOCX whose parts decompress past `maxPartBytes` each or `maxExpandedBytes` together, before mammoth
 * inflates any of it (mammoth keeps every part it reads in memory, and a 3.6 MB zip can expand to gigabytes).
 * The sizes the archive declares are checked first; then every part is inflated and counted, without keeping it,
 * stopping at the limit, since declared sizes can lie.
 */
export async function checkZipLimits(bytes, { maxPartBytes, maxExpandedBytes }) {
  let zip;
  try {
    zip = await yauzl.fromBufferPromise(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), {
      validateEntrySizes: true,
    });
  } catch {
    throw corrupt();
  }
  try {
    if (zip.entryCount > MAX_ENTRIES) {
      throw new ParseFailure('TOO_LARGE', `The DOCX file has more than ${MAX_ENTRIES} parts, the limit`);
    }
    const entries = [];
    let declared = 0;
    try {
      for await (const entry of zip.eachEntry()) entries.push(entry);
    } catch {
      throw corrupt();
    }
    for (const entry of entries) {
      if (entry.uncompressedSize > maxPartBytes) throw partTooLarge(entry, maxPartBytes);
      declared += entry.uncompressedSize;
      if (declared > maxExpandedBytes) throw allTooLarge(maxExpandedBytes);
    }
    let expanded = 0;
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue;
      const remaining = maxExpandedBytes - expanded;
      const allowed = Math.min(maxPartBytes, remaining);
      expanded += await expandedSize(zip, entry, allowed, () =>
        allowed === maxPartBytes ? partTooLarge(entry, maxPartBytes) : allTooLarge(maxExpandedBytes),
      );
    }
  } finally {
    zip.close();
  }
}
