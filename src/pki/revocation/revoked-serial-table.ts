/**
 * The revoked serials of one CRL in a handful of typed arrays: an open-addressing hash table over
 * the serials' bytes. A Map of a million strings and Date objects costs hundreds of MB of heap and
 * cannot leave a worker thread without a slow copy; these arrays are ~40 MB for a million serials
 * and are transferred between threads without copying. A lookup is a hash and one or two probes.
 */

/** The table's arrays, as posted from a worker thread (each backed by its own ArrayBuffer). */
export interface RevokedSerialTableData {
  /** Number of distinct serials. */
  readonly size: number;
  /** Serial bytes (INTEGER content without leading zero octets), entry after entry. */
  readonly serials: Uint8Array<ArrayBuffer>;
  /** Entry i's serial is serials[offsets[i]] up to serials[offsets[i + 1]]. */
  readonly offsets: Uint32Array<ArrayBuffer>;
  /** Revocation date of each entry, milliseconds since the epoch. */
  readonly revokedAt: Float64Array<ArrayBuffer>;
  /** CRLReason of each entry, NO_REASON when it carries none. */
  readonly reasons: Uint8Array<ArrayBuffer>;
  /** Hash slots holding entry index + 1; 0 is empty. Length is a power of two. */
  readonly slots: Int32Array<ArrayBuffer>;
}

export interface RevokedSerial {
  revokedAt: number;
  reason: number | undefined;
}

/** Reason value stored for entries without a reasonCode; CRLReason values are 0–10. */
export const NO_REASON = 0xff;

export class RevokedSerialTable {
  readonly #data: RevokedSerialTableData;
  readonly #mask: number;

  constructor(data: RevokedSerialTableData) {
    const entries = data.revokedAt.length;
    const { slots } = data;
    if (
      data.offsets.length !== entries + 1 ||
      data.reasons.length !== entries ||
      data.offsets[entries] !== data.serials.length ||
      slots.length === 0 ||
      (slots.length & (slots.length - 1)) !== 0 ||
      slots.length <= data.size
    ) {
      throw new Error('inconsistent revoked-serial table');
    }
    this.#data = data;
    this.#mask = slots.length - 1;
  }

  get size(): number {
    return this.#data.size;
  }

  /** The arrays, e.g. to post them to another thread with their buffers in the transfer list. */
  get data(): RevokedSerialTableData {
    return this.#data;
  }

  /** The entry for a serial in normalised hex (see normaliseSerialHex), or undefined. */
  lookup(normalisedHex: string): RevokedSerial | undefined {
    const key = decodeHex(normalisedHex);
    if (!key) return undefined;
    const { serials, offsets, slots, revokedAt, reasons } = this.#data;
    for (let slot = hashBytes(key, 0, key.length) & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const stored = slots[slot]!;
      if (stored === 0) return undefined;
      const entry = stored - 1;
      if (bytesEqual(serials, offsets[entry]!, offsets[entry + 1]!, key)) {
        const reason = reasons[entry]!;
        return { revokedAt: revokedAt[entry]!, reason: reason === NO_REASON ? undefined : reason };
      }
    }
  }
}

/** Collects entries in CRL order; a serial listed twice keeps its last entry, as a Map would. */
export class RevokedSerialTableBuilder {
  #count = 0;
  #serialLength = 0;
  #serials: Uint8Array<ArrayBuffer>;
  #offsets: Uint32Array<ArrayBuffer>;
  #revokedAt: Float64Array<ArrayBuffer>;
  #reasons: Uint8Array<ArrayBuffer>;

  /** `expectedEntries` only sizes the first allocation. */
  constructor(expectedEntries = 16) {
    const capacity = Math.max(16, expectedEntries);
    this.#serials = new Uint8Array(capacity * 16);
    this.#offsets = new Uint32Array(capacity + 1);
    this.#revokedAt = new Float64Array(capacity);
    this.#reasons = new Uint8Array(capacity);
  }

  /** Adds the serial held in source[start, end) (already normalised: no leading zero octet unless it is the only one). */
  add(source: Uint8Array, start: number, end: number, revokedAt: number, reason: number | undefined): void {
    if (reason !== undefined && (!Number.isInteger(reason) || reason < 0 || reason >= NO_REASON)) throw new RangeError(`reason ${reason} out of range`);
    if (end <= start) throw new RangeError('empty serial');
    const length = end - start;
    if (this.#count === this.#revokedAt.length) this.#growEntries();
    while (this.#serialLength + length > this.#serials.length) this.#serials = grow(this.#serials, this.#serials.length * 2);
    this.#serials.set(source.subarray(start, end), this.#serialLength);
    this.#serialLength += length;
    this.#revokedAt[this.#count] = revokedAt;
    this.#reasons[this.#count] = reason ?? NO_REASON;
    this.#count += 1;
    this.#offsets[this.#count] = this.#serialLength;
  }

  build(): RevokedSerialTable {
    const count = this.#count;
    const serials = this.#serials.slice(0, this.#serialLength);
    const offsets = this.#offsets.slice(0, count + 1);
    let slotCount = 16;
    while (slotCount < count * 2) slotCount *= 2;
    const slots = new Int32Array(slotCount);
    const mask = slotCount - 1;
    let size = 0;
    for (let entry = 0; entry < count; entry++) {
      const start = offsets[entry]!;
      const end = offsets[entry + 1]!;
      for (let slot = hashBytes(serials, start, end) & mask; ; slot = (slot + 1) & mask) {
        const stored = slots[slot]!;
        if (stored === 0) {
          slots[slot] = entry + 1;
          size += 1;
          break;
        }
        if (rangesEqual(serials, offsets[stored - 1]!, offsets[stored]!, start, end)) {
          slots[slot] = entry + 1;
          break;
        }
      }
    }
    return new RevokedSerialTable({
      size,
      serials,
      offsets,
      revokedAt: this.#revokedAt.slice(0, count),
      reasons: this.#reasons.slice(0, count),
      slots,
    });
  }

  #growEntries(): void {
    const capacity = this.#revokedAt.length * 2;
    this.#offsets = grow(this.#offsets, capacity + 1);
    this.#revokedAt = grow(this.#revokedAt, capacity);
    this.#reasons = grow(this.#reasons, capacity);
  }
}

function grow<T extends Uint8Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(array: T, capacity: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(capacity);
  bigger.set(array as never);
  return bigger;
}

/** FNV-1a: fast and well spread for both random and sequential serials. Not a security function. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

function bytesEqual(bytes: Uint8Array, start: number, end: number, other: Uint8Array): boolean {
  if (end - start !== other.length) return false;
  for (let i = 0; i < other.length; i++) if (bytes[start + i] !== other[i]) return false;
  return true;
}

function rangesEqual(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (bytes[aStart + i] !== bytes[bStart + i]) return false;
  return true;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Bytes of lower-case, even-length hex; undefined for anything else (a lookup key that cannot match). */
function decodeHex(hex: string): Uint8Array | undefined {
  if (hex.length === 0 || hex.length % 2) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const high = hexValue(hex.charCodeAt(2 * i));
    const low = hexValue(hex.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) return undefined;
    out[i] = (high << 4) | low;
  }
  return out;
}
