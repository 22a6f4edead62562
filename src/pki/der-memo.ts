import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * A bounded memory of what was derived from DER bytes, keyed by their SHA-256: a practitioner's
 * card presents the same certificate at every login, and what depends on nothing but those bytes
 * need not be worked out again. Only values that can never change for the same bytes belong here,
 * and they are shared between callers, so they must be treated as immutable. The least recently
 * used entries go first when `max` is reached.
 */
export class DerMemo<T extends object> {
  readonly #entries: LRUCache<string, T>;

  constructor(max: number) {
    this.#entries = new LRUCache<string, T>({ max });
  }

  /** The value kept for these bytes, or `derive()`'s — kept only when it returns (a throw is not remembered). */
  get(der: Uint8Array, derive: () => T): T {
    const key = hash('sha256', der, 'base64');
    const known = this.#entries.get(key);
    if (known !== undefined) return known;
    const value = derive();
    this.#entries.set(key, value);
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
