import { describe, expect, it } from 'vitest';
import { buildHcRoleExtensionValue, hcRoleExtension } from '../../../src/pki/test-pki/index.ts';

// Copied by hand from research/protocol-facts.md §A1 (decoded from a real MEDIS test certificate).
const MEDIS_MEDICAL_DOCTOR_EXTN_VALUE = `
  30 34 30 32 06 06 28 81 85 42 00 01 31 28 31 26 30 24 A0 22 31 20 A0 0C 06 0A 2A 83 08 86 91 0F
  01 06 01 01 A2 10 0C 0E 4D 65 64 69 63 61 6C 20 44 6F 63 74 6F 72`;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('test PKI hcRole extension', () => {
  it('encodes "Medical Doctor" byte for byte as in the MEDIS certificate', () => {
    const expected = MEDIS_MEDICAL_DOCTOR_EXTN_VALUE.replace(/\s+/g, '').toLowerCase();
    expect(hex(buildHcRoleExtensionValue([{ role: 'Medical Doctor' }]))).toBe(expected);
  });

  it('wraps the value in a non-critical subjectDirectoryAttributes extension', () => {
    const extension = hcRoleExtension([{ role: 'Medical Doctor' }]);
    expect(extension.type).toBe('2.5.29.9');
    expect(extension.critical).toBe(false);
    // Extension ::= SEQUENCE { OID 2.5.29.9, OCTET STRING { value } } (critical FALSE omitted in DER).
    expect(hex(new Uint8Array(extension.rawData))).toBe(`303d0603551d090436${MEDIS_MEDICAL_DOCTOR_EXTN_VALUE.replace(/\s+/g, '').toLowerCase()}`);
  });

  it('sorts several HCActors in DER SET OF order', () => {
    const a = hex(buildHcRoleExtensionValue([{ role: 'Medical Doctor' }, { role: 'Director of Hospital' }]));
    const b = hex(buildHcRoleExtensionValue([{ role: 'Director of Hospital' }, { role: 'Medical Doctor' }]));
    expect(a).toBe(b);
  });
});
