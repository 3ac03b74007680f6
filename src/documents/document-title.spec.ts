import { documentTitle } from './document-title.js';

describe('documentTitle', () => {
  it('prefers the given title, then the embedded one, then the file name without directories', () => {
    expect(documentTitle({ given: ' Q3  plan ', embedded: 'Embedded', text: 'body' })).toBe('Q3 plan');
    expect(documentTitle({ given: '  ', embedded: 'Embedded', originalName: 'a.pdf', text: 'body' })).toBe('Embedded');
    expect(documentTitle({ originalName: 'C:\\Users\\a\\report.pdf', text: 'body' })).toBe('report.pdf');
  });

  it('falls back to the first line with visible text, without its heading marker', () => {
    expect(documentTitle({ text: '\n  \n\t\n## Release notes ##\nbody' })).toBe('Release notes ##');
    expect(documentTitle({ text: '   indented first line\nsecond' })).toBe('indented first line');
    expect(documentTitle({ text: `${'x'.repeat(500)}\nmore` })).toBe('x'.repeat(120));
  });

  it('is "Untitled document" when nothing has visible text', () => {
    expect(documentTitle({ given: '\u0000\u0007', text: ' \n\t\n ' })).toBe('Untitled document');
  });
});
