import { describe, expect, it } from 'vitest';
import { RevokedSerialTable, RevokedSerialTableBuilder } from '../../../src/pki/revocation/revoked-serial-table.ts';

const hex = (value: string) => Buffer.from(value, 'hex');

function tableOf(entries: Array<[string, number, number?]>, expected = 1): RevokedSerialTable {
  const builder = new RevokedSerialTableBuilder(expected);
  for (const [serial, at, reason] of entries) {
    const bytes = hex(serial);
    builder.add(bytes, 0, bytes.length, at, reason);
  }
  return builder.build();
}

describe('RevokedSerialTable', () => {
  it('finds every serial after growing from a small first allocation, and no other', () => {
    const serials = Array.from({ length: 5000 }, (_, i) => (0x10_0000 + i * 7).toString(16).padStart(8, '0'));
    const table = tableOf(serials.map((s, i) => [s, i * 1000, i % 11 === 7 ? undefined : i % 11]));
    expect(table.size).toBe(5000);
    serials.forEach((s, i) => expect(table.lookup(s)).toEqual({ revokedAt: i * 1000, reason: i % 11 === 7 ? undefined : i % 11 }));
    expect(table.lookup((0x10_0000 + 1).toString(16).padStart(8, '0'))).toBeUndefined();
  });

  it('keeps the last entry of a serial listed twice, as a Map would', () => {
    const table = tableOf([
      ['0a', 1, 1],
      ['0b', 2],
      ['0a', 3, 4],
    ]);
    expect(table.size).toBe(2);
    expect(table.lookup('0a')).toEqual({ revokedAt: 3, reason: 4 });
  });

  it('answers undefined for keys that are not lower-case even-length hex', () => {
    const table = tableOf([['ab', 1]]);
    for (const key of ['', 'a', 'AB', 'abz', 'zz', 'ab ']) expect(table.lookup(key)).toBeUndefined();
    expect(table.lookup('ab')).toBeDefined();
  });

  it('works empty', () => {
    const table = new RevokedSerialTableBuilder(0).build();
    expect(table.size).toBe(0);
    expect(table.lookup('01')).toBeUndefined();
  });

  it('refuses reasons outside a byte, empty serials and inconsistent arrays', () => {
    const builder = new RevokedSerialTableBuilder();
    expect(() => builder.add(hex('01'), 0, 1, 0, 255)).toThrow(RangeError);
    expect(() => builder.add(hex('01'), 0, 1, 0, -1)).toThrow(RangeError);
    expect(() => builder.add(hex('01'), 1, 1, 0, undefined)).toThrow(RangeError);
    const { data } = tableOf([['01', 1]]);
    expect(() => new RevokedSerialTable({ ...data, slots: new Int32Array(3) })).toThrow(/inconsistent/);
    expect(() => new RevokedSerialTable({ ...data, offsets: new Uint32Array(1) })).toThrow(/inconsistent/);
  });
});
