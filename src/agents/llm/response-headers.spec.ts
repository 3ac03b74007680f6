import { ResponseHeaders } from './response-headers.js';

describe('ResponseHeaders (a model response’s headers, read from undici’s parsed object)', () => {
  const headers = () =>
    new ResponseHeaders({
      'request-id': 'req_1',
      'content-type': 'text/event-stream',
      'set-cookie': ['a=1', 'b=2'],
      'x-repeated': ['accept', 'origin'],
    }).asHeaders();

  it('is a Headers, read the way fetch reads one: any case, repeated values joined', () => {
    const h = headers();
    expect(h).toBeInstanceOf(Headers);
    expect(h.get('Request-ID')).toBe('req_1');
    expect(h.get('X-Repeated')).toBe('accept, origin');
    expect(h.get('missing')).toBeNull();
    expect([h.has('CONTENT-TYPE'), h.has('missing')]).toEqual([true, false]);
    expect(h.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  it('lists the same entries, in the same order, as a Headers built from the same response', () => {
    const h = headers();
    const copy = new Headers();
    copy.append('request-id', 'req_1');
    copy.append('content-type', 'text/event-stream');
    copy.append('set-cookie', 'a=1');
    copy.append('set-cookie', 'b=2');
    copy.append('x-repeated', 'accept');
    copy.append('x-repeated', 'origin');
    expect([...h]).toEqual([...copy]);
    expect([...h.entries()]).toEqual([...copy.entries()]);
    expect([...h.keys()]).toEqual([...copy.keys()]);
    expect([...h.values()]).toEqual([...copy.values()]);
    const seen: string[] = [];
    h.forEach((value, name, parent) => {
      expect(parent).toBe(h);
      seen.push(`${name}=${value}`);
    });
    expect(seen).toEqual([...copy].map(([name, value]) => `${name}=${value}`));
    expect([...new Headers(h)]).toEqual([...copy]);
  });

  it('never reads the object’s prototype as a header', () => {
    const h = new ResponseHeaders({}).asHeaders();
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect([h.get(name), h.has(name)]).toEqual([null, false]);
    }
    expect([...h]).toEqual([]);
  });

  it('cannot be changed, as a fetch response’s headers cannot', () => {
    const h = headers();
    expect(() => h.set('request-id', 'other')).toThrow(TypeError);
    expect(() => h.append('x', 'y')).toThrow(TypeError);
    expect(() => h.delete('request-id')).toThrow(TypeError);
    expect(h.get('request-id')).toBe('req_1');
  });
});
