import { describe, expect, it } from 'vitest';
import { encodeTlv } from '../../../src/pki/der/encode-tlv.ts';
import { readTime } from '../../../src/pki/der/read-time.ts';
import { DerError, readChildren, readTagged, readTlv } from '../../../src/pki/der/read-tlv.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);
const read = (input: Uint8Array) => readTlv(input, 0, input.length);

describe('readTlv', () => {
  it('reads short and long definite lengths', () => {
    expect(read(bytes(0x02, 0x01, 0x05))).toEqual({ tag: 0x02, start: 0, contentStart: 2, end: 3 });
    const long = encodeTlv(0x04, [new Uint8Array(300)]);
    expect(long.subarray(0, 4)).toEqual(bytes(0x04, 0x82, 0x01, 0x2c));
    expect(read(long)).toEqual({ tag: 0x04, start: 0, contentStart: 4, end: 304 });
    expect(read(encodeTlv(0x04, [new Uint8Array(0x80)])).contentStart).toBe(3);
  });

  it('refuses indefinite, non-minimal, oversized and reserved lengths', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['indefinite', bytes(0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00)],
      ['long form for a short length', bytes(0x04, 0x81, 0x05, 1, 2, 3, 4, 5)],
      ['leading zero length octet', bytes(0x04, 0x82, 0x00, 0x85, ...new Uint8Array(0x85))],
      ['five length octets', bytes(0x04, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00)],
      ['reserved 0xff', bytes(0x04, 0xff, 0x00)],
      ['high tag number', bytes(0x1f, 0x81, 0x01, 0x00)],
    ];
    for (const [, input] of cases) expect(() => read(input)).toThrow(DerError);
  });

  it('refuses lengths that run past the parent, however large', () => {
    expect(() => read(bytes(0x04, 0x03, 1, 2))).toThrow(/runs past its parent/);
    expect(() => read(bytes(0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00))).toThrow(/runs past its parent/);
    expect(() => read(bytes(0x04, 0x82, 0x01))).toThrow(/truncated/);
    expect(() => read(bytes(0x04))).toThrow(/truncated/);
    expect(() => readTlv(bytes(), 0, 0)).toThrow(/expected an element/);
    // A child must end inside its parent, not merely inside the input.
    const nested = bytes(0x30, 0x03, 0x04, 0x03, 0x01, 0x02, 0x03);
    const parent = read(nested.subarray(0, 5));
    expect(() => readChildren(nested, parent)).toThrow(/runs past its parent/);
    expect(() => readTlv(nested, 0, nested.length + 1)).toThrow(/past the input/);
  });

  it('checks tags and lists children', () => {
    const seq = bytes(0x30, 0x06, 0x02, 0x01, 0x01, 0x05, 0x01, 0x00);
    expect(() => readTagged(seq, 0, seq.length, 0x31, 'SET')).toThrow(/SET: expected tag 0x31, found 0x30/);
    expect(readChildren(seq, read(seq)).map((c) => c.tag)).toEqual([0x02, 0x05]);
  });
});

describe('readTime', () => {
  const time = (tag: number, text: string) => {
    const der = encodeTlv(tag, [new TextEncoder().encode(text)]);
    return readTime(der, read(der));
  };

  it('reads RFC 5280 UTCTime and GeneralizedTime', () => {
    expect(time(0x17, '250102030405Z')).toBe(Date.UTC(2025, 0, 2, 3, 4, 5));
    expect(time(0x17, '500101000000Z')).toBe(Date.UTC(1950, 0, 1));
    expect(time(0x17, '491231235959Z')).toBe(Date.UTC(2049, 11, 31, 23, 59, 59));
    expect(time(0x18, '20500101000000Z')).toBe(Date.UTC(2050, 0, 1));
    expect(time(0x18, '20240229120000Z')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(time(0x18, '00500101000000Z')).toBe(new Date(Date.UTC(2000, 0, 1)).setUTCFullYear(50));
  });

  it('refuses other forms and out-of-range fields', () => {
    for (const [tag, text] of [
      [0x17, '2501020304Z'],
      [0x17, '250102030405+0900'],
      [0x18, '20250102030405.5Z'],
      [0x18, '250102030405Z'],
      [0x17, '25010203040aZ'],
      [0x17, '251301000000Z'],
      [0x17, '250230000000Z'],
      [0x18, '21000229000000Z'],
      [0x17, '250101240000Z'],
      [0x17, '250101006000Z'],
      [0x17, '250101000060Z'],
      [0x04, '250101000000Z'],
    ] as const) {
      expect(() => time(tag, text), `${tag} ${text}`).toThrow(DerError);
    }
  });
});
