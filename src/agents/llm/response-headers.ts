import type { IncomingHttpHeaders } from 'node:http';

/**
 * A model response's headers: a read-only `Headers` (as a fetch response's are) that reads undici's parsed header
 * object (lower-case names; repeated headers as arrays) instead of copying it. A copied `Headers` lives as long as
 * the response, a streamed answer's whole life, and once iterated (the SDK lists every response's headers for its
 * log line) it also keeps a sorted copy of its entries: about 1.4 KB per open stream in heap snapshots, against the
 * parsed object undici has already built.
 */
export class ResponseHeaders extends (Headers as new () => object) {
  constructor(private readonly raw: IncomingHttpHeaders) {
    // A real (empty) `Headers` underneath, so `instanceof Headers` holds where the SDK checks it; every read is
    // answered below. (TypeScript declares Headers' methods as properties, which a subclass cannot override.)
    super();
  }

  /** For the SDK, which takes the `Response` type from fetch. */
  asHeaders(): Headers {
    return this as unknown as Headers;
  }

  get(name: string): string | null {
    const value = this.own(name);
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.own(name) !== undefined;
  }

  getSetCookie(): string[] {
    const value = this.own('set-cookie');
    if (value === undefined) return [];
    return Array.isArray(value) ? [...value] : [value];
  }

  /** In name order, `set-cookie` once per cookie, as `Headers` iterates. */
  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw).sort()) {
      if (name === 'set-cookie') {
        for (const cookie of this.getSetCookie()) yield [name, cookie];
        continue;
      }
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  forEach(callback: (value: string, name: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this.asHeaders());
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  append(): never {
    return immutable();
  }

  set(): never {
    return immutable();
  }

  delete(): never {
    return immutable();
  }

  /** Own properties only: a header named `constructor` or `__proto__` must not read the object's prototype. */
  private own(name: string): string | string[] | undefined {
    const key = name.toLowerCase();
    return Object.hasOwn(this.raw, key) ? this.raw[key] : undefined;
  }
}

function immutable(): never {
  throw new TypeError('immutable: response headers cannot be changed');
}
