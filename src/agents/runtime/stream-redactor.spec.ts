import { StreamRedactor } from './stream-redactor.js';

function streamThrough(r: StreamRedactor, chunks: string[]): { released: string[]; all: string } {
  const released = chunks.map((c) => r.push(c));
  released.push(r.flush());
  return { released, all: released.join('') };
}

describe('StreamRedactor', () => {
  const secret = 'sk-ant-SECRET-0123456789abcdef';

  it('removes a literal secret split across two chunks, and never releases a piece of it', () => {
    const r = new StreamRedactor([secret]);
    const { released, all } = streamThrough(r, ['The key is sk-ant-SEC', 'RET-0123456789abcdef, done.']);
    expect(all).toBe('The key is [redacted], done.');
    for (const piece of released) expect(piece).not.toMatch(/sk-ant|SECRET|0123456789/);
  });

  it('removes a secret split over many one-character chunks', () => {
    const r = new StreamRedactor([secret]);
    const { all } = streamThrough(r, [...`x ${secret} y`]);
    expect(all).toBe('x [redacted] y');
  });

  it('releases ordinary text immediately when no secret prefix is pending', () => {
    const r = new StreamRedactor([secret]);
    expect(r.push('hello ')).toBe('hello ');
    expect(r.push('world')).toBe('world');
  });

  it('releases a false start once it stops matching', () => {
    const r = new StreamRedactor([secret]);
    expect(r.push('a sk-an')).toBe('a ');
    expect(r.push('t-other')).toBe('sk-ant-other');
  });

  it('applies configured patterns across chunk boundaries', () => {
    const r = new StreamRedactor([], [/AKIA[0-9A-Z]{16}/g]);
    const { all } = streamThrough(r, ['id AKIA1234', '567890ABCDEF and more']);
    expect(all).toBe('id [redacted] and more');
  });

  it('ignores too-short literals (they would shred normal text)', () => {
    const r = new StreamRedactor(['abc']);
    expect(streamThrough(r, ['abc abc']).all).toBe('abc abc');
  });

  it('scrubs every string and key inside a JSON value (tool inputs and results), other values untouched', () => {
    const r = new StreamRedactor([secret], [/AKIA[0-9A-Z]{16}/g]);
    const value = { text: `key ${secret}`, nested: [{ id: 'AKIA1234567890ABCDEF' }, 42, null, true], [secret]: 'k' };
    expect(r.redactValue(value)).toEqual({
      text: 'key [redacted]',
      nested: [{ id: '[redacted]' }, 42, null, true],
      '[redacted]': 'k',
    });
  });
});

describe('StreamRedactor: text PostgreSQL can store', () => {
  it('replaces NUL and unpaired surrogates, and keeps a surrogate pair split across chunks whole', () => {
    const r = new StreamRedactor([]);
    const { all } = streamThrough(r, ['wor\u0000ld ', '\ud800 x ', 'smile \ud83d', '\ude00 end']);
    expect(all).toBe('wor\ufffdld \ufffd x smile \ud83d\ude00 end');
    expect(r.redactValue({ 'k\u0000': ['v\udc00'] })).toEqual({ 'k\ufffd': ['v\ufffd'] });
    expect(r.redact('a\u0000b')).toBe('a\ufffdb');
  });

  it('a high surrogate left at the very end becomes U+FFFD', () => {
    const r = new StreamRedactor([]);
    expect(streamThrough(r, ['end \ud83d']).all).toBe('end \ufffd');
  });
});
