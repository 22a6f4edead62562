/**
 * A strictly bounds-checked DER element reader for the few structures that are too large for the
 * ASN.1 schema library (a CRL with a million entries). It locates elements by offsets and copies
 * nothing; what an element means is for the caller.
 */

/** One DER element (tag, length, value) inside a byte array. */
export interface Tlv {
  /** The identifier octet: class, constructed bit and a tag number below 31. */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet (and so past the element). */
  readonly end: number;
}

/** Input that is not the DER the caller expects; `offset` points at the offending element. */
export class DerError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'DerError';
    this.offset = offset;
  }
}

/** Length octets beyond 4 would describe more than 4 GiB, far above any input accepted here. */
const MAX_LENGTH_OCTETS = 4;

/**
 * Reads the element starting at `offset`, which must end at or before `limit` (the end of its
 * parent). Refuses indefinite lengths, non-minimal length encodings and high tag numbers: DER
 * has one encoding per value, so anything else is not the signed structure.
 */
export function readTlv(bytes: Uint8Array, offset: number, limit: number): Tlv {
  if (limit > bytes.length) throw new DerError(`parent ends past the input (${limit} > ${bytes.length})`, offset);
  if (offset >= limit) throw new DerError('expected an element, found the end of its parent', offset);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported', offset);
  if (offset + 1 >= limit) throw new DerError('element truncated in its length', offset);
  const first = bytes[offset + 1]!;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new DerError('indefinite length is not DER', offset);
    if (count > MAX_LENGTH_OCTETS) throw new DerError(`length of ${count} octets is too large`, offset);
    contentStart = offset + 2 + count;
    if (contentStart > limit) throw new DerError('element truncated in its length', offset);
    if (bytes[offset + 2] === 0) throw new DerError('length has a leading zero octet (not DER)', offset);
    length = 0;
    for (let i = offset + 2; i < contentStart; i++) length = length * 256 + bytes[i]!;
    if (length < 0x80) throw new DerError('short length in long form (not DER)', offset);
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`length ${length} runs past its parent (${limit - contentStart} octets left)`, offset);
  return { tag, start: offset, contentStart, end };
}

/** readTlv, and the element must carry `tag`; `what` names it in the error. */
export function readTagged(bytes: Uint8Array, offset: number, limit: number, tag: number, what: string): Tlv {
  const element = readTlv(bytes, offset, limit);
  if (element.tag !== tag) {
    throw new DerError(`${what}: expected tag 0x${tag.toString(16).padStart(2, '0')}, found 0x${element.tag.toString(16).padStart(2, '0')}`, offset);
  }
  return element;
}

/** The elements directly inside a constructed element; for small containers (a header, not a list of a million). */
export function readChildren(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const children: Tlv[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readTlv(bytes, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** True when the element's content equals `expected` (e.g. the content octets of an OID). */
export function contentEquals(bytes: Uint8Array, element: Tlv, expected: Uint8Array): boolean {
  if (element.end - element.contentStart !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[element.contentStart + i] !== expected[i]) return false;
  return true;
}
