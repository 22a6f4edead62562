/**
 * Seeded mutations of certificates and tokens: each case gets its own PRNG derived from (seed, case
 * index), so `FUZZ_SEED=<seed> FUZZ_CASE=<n>` rebuilds exactly one input.
 */
export type Rng = () => number;

/** mulberry32: small, fast, good enough to spread mutations; not for anything secret. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function caseRng(seed: number, index: number): Rng {
  return mulberry32((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0);
}

export const int = (rng: Rng, n: number) => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;

export function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = int(rng, 256);
  return out;
}

interface TlvNode {
  /** Offset of the first length byte. */
  lengthAt: number;
  /** How many bytes the length field takes. */
  lengthBytes: number;
  contentLength: number;
}

/** The TLV nodes of (possibly broken) DER, depth first, as far as the bytes can be walked. */
export function derNodes(bytes: Uint8Array, start = 0, end = bytes.length, depth = 0, out: TlvNode[] = []): TlvNode[] {
  let i = start;
  while (i + 2 <= end && depth < 12 && out.length < 4000) {
    const tag = bytes[i]!;
    if ((tag & 0x1f) === 0x1f) return out; // multi-byte tags do not occur in certificates
    const first = bytes[i + 1]!;
    let lengthBytes = 1;
    let length = first;
    if (first & 0x80) {
      const n = first & 0x7f;
      if (n === 0 || n > 4 || i + 2 + n > end) return out;
      length = 0;
      for (let k = 0; k < n; k++) length = length * 256 + bytes[i + 2 + k]!;
      lengthBytes = 1 + n;
    }
    const contentStart = i + 1 + lengthBytes;
    if (contentStart + length > end) return out;
    out.push({ lengthAt: i + 1, lengthBytes, contentLength: length });
    if (tag & 0x20) derNodes(bytes, contentStart, contentStart + length, depth + 1, out);
    else if (tag === 0x03 && length > 1 && bytes[contentStart] === 0) derNodes(bytes, contentStart + 1, contentStart + length, depth + 1, out); // BIT STRING wrapping DER
    else if (tag === 0x04) derNodes(bytes, contentStart, contentStart + length, depth + 1, out); // OCTET STRING extension values
    i = contentStart + length;
  }
  return out;
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let v = length; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** Rewrites one TLV's length field with a lie: longer, shorter, huge, indefinite, or too many bytes. */
export function derLengthLie(rng: Rng, der: Uint8Array): { bytes: Uint8Array; how: string } {
  const nodes = derNodes(der);
  if (nodes.length === 0) return { bytes: bitFlips(rng, der, 1), how: 'no-tlv→bitflip' };
  const node = pick(rng, nodes);
  const lies: [string, () => number[]][] = [
    ['+1', () => encodeLength(node.contentLength + 1)],
    ['-1', () => encodeLength(Math.max(0, node.contentLength - 1))],
    ['+random', () => encodeLength(node.contentLength + 1 + int(rng, 70000))],
    ['0', () => [0]],
    ['0xffffffff', () => [0x84, 0xff, 0xff, 0xff, 0xff]],
    ['0x7fffffff', () => [0x84, 0x7f, 0xff, 0xff, 0xff]],
    ['indefinite', () => [0x80]],
    ['9 length bytes', () => [0x89, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['non-minimal', () => [0x82, (node.contentLength >> 8) & 0xff, node.contentLength & 0xff]],
  ];
  const [name, make] = pick(rng, lies);
  const replacement = make();
  const bytes = new Uint8Array(der.length - node.lengthBytes + replacement.length);
  bytes.set(der.subarray(0, node.lengthAt), 0);
  bytes.set(replacement, node.lengthAt);
  bytes.set(der.subarray(node.lengthAt + node.lengthBytes), node.lengthAt + replacement.length);
  return { bytes, how: `length ${name} at ${node.lengthAt}` };
}

export function bitFlips(rng: Rng, input: Uint8Array, flips = 1 + int(rng, 8)): Uint8Array {
  const out = new Uint8Array(input);
  if (out.length === 0) return out;
  for (let i = 0; i < flips; i++) out[int(rng, out.length)]! ^= 1 << int(rng, 8);
  return out;
}

/** One mutation of `input`, named, chosen among the kinds the brief lists (and a few neighbours). */
export function mutate(rng: Rng, input: Uint8Array, options: { der?: boolean; maxOversize?: number } = {}): { bytes: Uint8Array; how: string } {
  const kinds = ['bitflip', 'bitflip', 'truncate', 'random', 'oversized', 'splice', 'byte-set', ...(options.der ? ['der-length', 'der-length', 'der-length'] : [])];
  const kind = pick(rng, kinds);
  switch (kind) {
    case 'bitflip': {
      const flips = 1 + int(rng, 8);
      return { bytes: bitFlips(rng, input, flips), how: `bitflip×${flips}` };
    }
    case 'truncate': {
      const at = int(rng, input.length);
      return { bytes: input.slice(0, at), how: `truncate to ${at}` };
    }
    case 'random': {
      const length = int(rng, 3000);
      return { bytes: randomBytes(rng, length), how: `random ${length}` };
    }
    case 'oversized': {
      const length = (options.maxOversize ?? 48_000) / 2 + int(rng, (options.maxOversize ?? 48_000) / 2);
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = input[i % Math.max(1, input.length)] ?? 0;
      return { bytes, how: `oversized ${length}` };
    }
    case 'splice': {
      const at = int(rng, input.length + 1);
      const junk = randomBytes(rng, 1 + int(rng, 64));
      const bytes = new Uint8Array(input.length + junk.length);
      bytes.set(input.subarray(0, at));
      bytes.set(junk, at);
      bytes.set(input.subarray(at), at + junk.length);
      return { bytes, how: `insert ${junk.length} at ${at}` };
    }
    case 'byte-set': {
      const out = new Uint8Array(input);
      const value = pick(rng, [0x00, 0xff, 0x80, 0x7f, 0x30, 0x02]);
      const n = 1 + int(rng, 4);
      for (let i = 0; i < n && out.length; i++) out[int(rng, out.length)] = value;
      return { bytes: out, how: `set ${n}×0x${value.toString(16)}` };
    }
    default:
      return derLengthLie(rng, input);
  }
}

/** A mutated string (the token texts): the same mutations over its UTF-8 bytes. */
export function mutateText(rng: Rng, text: string): { text: string; how: string } {
  const { bytes, how } = mutate(rng, new TextEncoder().encode(text), { maxOversize: 40_000 });
  return { text: Buffer.from(bytes).toString('latin1'), how };
}

/** A JSON value of a random shape, for fields that expect something else. */
export function randomJsonValue(rng: Rng, depth = 0): unknown {
  switch (int(rng, depth > 2 ? 5 : 7)) {
    case 0:
      return null;
    case 1:
      return rng() < 0.5;
    case 2:
      return pick(rng, [0, -1, 1e308, 2 ** 53 + 1, 0.5, -0]);
    case 3:
      return Buffer.from(randomBytes(rng, int(rng, 80))).toString(pick(rng, ['base64', 'base64url', 'hex', 'latin1'] as const));
    case 4:
      return 'A'.repeat(int(rng, 70_000));
    case 5:
      return Array.from({ length: int(rng, 5) }, () => randomJsonValue(rng, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: int(rng, 4) }, (_, i) => [pick(rng, ['id', 'type', 'response', '__proto__', 'constructor', `k${i}`]), randomJsonValue(rng, depth + 1)]));
  }
}
