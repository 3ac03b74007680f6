const SAMPLE_BYTES = 8192;

/** NUL bytes or many control characters near the start: a binary format file-type does not know. */
function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  let control = 0;
  for (const b of sample) {
    if (b === 0) return true;
    if (b < 32 && b !== 9 && b !== 10 && b !== 12 && b !== 13 && b !== 27) control++;
  }
  return control > sample.length * 0.05;
}

function countDecoded(text: string): { replaced: number; nonAscii: number } {
  let replaced = 0;
  let nonAscii = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0xfffd) replaced++;
    else if (code > 0x7f) nonAscii++;
  }
  return { replaced, nonAscii };
}

/**
 * Decodes text bytes: UTF-16 by its byte-order mark, else UTF-8; bytes that are mostly not UTF-8 (a legacy
 * Latin-1 export) are read as windows-1252 instead of becoming a page of replacement characters. Returns
 * undefined for binary content.
 */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  if (looksBinary(bytes)) return undefined;
  const utf8 = new TextDecoder('utf-8').decode(bytes);
  const { replaced, nonAscii } = countDecoded(utf8);
  // A few invalid sequences in otherwise valid UTF-8 (a truncated last character) keep UTF-8.
  if (replaced > 0 && replaced > nonAscii) return new TextDecoder('windows-1252').decode(bytes);
  return utf8;
}
