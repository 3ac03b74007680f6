import fc from 'fast-check';
import { normalizeEmail, normalizeEmailInput, UNQUOTED_EMAIL } from './email-address.js';

describe('normalizeEmail', () => {
  it.each([
    ['case', 'Victim@X.IO'],
    ['surrounding whitespace', '  victim@x.io '],
    ['a zero-width space', 'vic\u200btim@x.io'],
    ['zero-width (non-)joiners', 'vic\u200ctim\u200d@x.io'],
    ['a word joiner', 'victim\u2060@x.io'],
    ['a byte-order mark', '\ufeffvictim@x.io'],
    ['a soft hyphen', 'vic\u00adtim@x.io'],
    ['a right-to-left override', 'victim@x\u202e.io'],
    ['a variation selector', 'victim\ufe0f@x.io'],
    ['full-width letters and signs', 'ｖｉｃｔｉｍ＠ｘ．ｉｏ'],
    ['mathematical letters', '𝐯𝐢𝐜𝐭𝐢𝐦@x.io'],
  ])('folds %s into the plain address', (_, spelling) => {
    expect(normalizeEmail(spelling)).toBe('victim@x.io');
  });

  it('makes a precomposed accent and a combining one the same', () => {
    expect(normalizeEmail('Jose\u0301@x.io')).toBe(normalizeEmail('José@x.io'));
    expect(normalizeEmail('JOSÉ@x.io')).toBe('jos\u00e9@x.io');
  });

  it('folds characters whose case folding is longer than one letter', () => {
    expect(normalizeEmail('Straße@x.io')).toBe('strasse@x.io');
    expect(normalizeEmail('STRAẞE@x.io')).toBe('strasse@x.io');
    expect(normalizeEmail('ſam@x.io')).toBe('sam@x.io');
  });

  it('is idempotent on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const once = normalizeEmail(s);
        return normalizeEmail(once) === once;
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves non-strings and oversized input to validation', () => {
    expect(normalizeEmailInput(42)).toBe(42);
    const huge = '\ufdfa'.repeat(2000);
    expect(normalizeEmailInput(huge)).toBe(huge);
  });
});

describe('UNQUOTED_EMAIL', () => {
  it('refuses a quoted local part and accepts a plain one', () => {
    expect(UNQUOTED_EMAIL.test('"victim"@x.io')).toBe(false);
    expect(UNQUOTED_EMAIL.test('"vic\\"tim"@x.io')).toBe(false);
    expect(UNQUOTED_EMAIL.test('victim+tag@x.io')).toBe(true);
  });
});
