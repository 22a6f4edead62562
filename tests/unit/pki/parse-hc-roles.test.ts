import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { HcRoleMalformedError, parseHcRoleExtensionValue, parseHcRoles, PkiError } from '../../../src/pki/index.ts';
import type { DirectoryStringForm } from '../../../src/pki/index.ts';
import {
  buildHcRoleExtensionValue,
  createHpkiTestPki,
  malformedHcRoleExtensionValues,
  MEDICAL_DOCTOR_EXTENSION_VALUE_HEX,
} from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

const JHPKI = '1.2.392.100495.1.6.1.1';

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HcRoleMalformedError);
    expect((error as PkiError).code).toBe('hcrole_malformed');
    return;
  }
  throw new Error('expected hcrole_malformed');
}

describe('parseHcRoles', () => {
  let pki: HpkiTestPki;
  beforeAll(async () => {
    pki = await createHpkiTestPki();
  });

  it('reads one hcRole from a certificate object', () => {
    expect(parseHcRoles(pki.practitioners.valid.certificate)).toEqual([{ role: 'Medical Doctor', codingScheme: JHPKI }]);
  });

  it('reads one hcRole from certificate DER (ArrayBuffer and Uint8Array)', () => {
    const der = pki.practitioners.valid.der;
    expect(parseHcRoles(der)).toEqual([{ role: 'Medical Doctor', codingScheme: JHPKI }]);
    expect(parseHcRoles(der.slice().buffer)).toEqual([{ role: 'Medical Doctor', codingScheme: JHPKI }]);
  });

  it('reads two hcRoles', () => {
    const roles = parseHcRoles(pki.practitioners.twoHcRoles.certificate).map((r) => r.role);
    expect(roles.sort()).toEqual(['Director of Hospital', 'Medical Doctor']);
  });

  it('returns [] for a certificate without the extension', () => {
    expect(parseHcRoles(pki.practitioners.noHcRole.certificate)).toEqual([]);
  });

  it('refuses the malformed-hcRole certificate', () => {
    expectMalformed(() => parseHcRoles(pki.practitioners.malformedHcRole.certificate));
  });

  it('parses the exact MEDIS bytes', () => {
    expect(parseHcRoleExtensionValue(Buffer.from(MEDICAL_DOCTOR_EXTENSION_VALUE_HEX, 'hex'))).toEqual([
      { role: 'Medical Doctor', codingScheme: JHPKI },
    ]);
  });

  it.each<DirectoryStringForm>(['utf8String', 'printableString', 'teletexString', 'bmpString', 'universalString'])(
    'reads codeDataFreeText as %s',
    (form) => {
      const value = buildHcRoleExtensionValue([{ role: 'Nurse', form }]);
      expect(parseHcRoleExtensionValue(value)).toEqual([{ role: 'Nurse', codingScheme: JHPKI }]);
    },
  );

  it('reads non-ASCII text in UTF8String, BMPString and UniversalString', () => {
    for (const form of ['utf8String', 'bmpString', 'universalString'] as const) {
      expect(parseHcRoleExtensionValue(buildHcRoleExtensionValue([{ role: '医師', form }]))[0]!.role).toBe('医師');
    }
  });

  it('reads several attributes and skips other directory attributes', () => {
    const value = buildHcRoleExtensionValue([{ role: 'Medical Doctor' }, { role: 'Director of Clinic' }], {
      layout: 'attribute-per-role',
      // dateOfBirth (1.3.6.1.5.5.7.9.1) GeneralizedTime: a different attribute that must be ignored.
      otherAttributes: [{ type: '1.3.6.1.5.5.7.9.1', valueDer: Uint8Array.from(Buffer.from('180f31393730303130313030303030305a', 'hex')) }],
    });
    expect(parseHcRoleExtensionValue(value)).toEqual([
      { role: 'Medical Doctor', codingScheme: JHPKI },
      { role: 'Director of Clinic', codingScheme: JHPKI },
    ]);
  });

  it('returns [] when subjectDirectoryAttributes carries no hcRole attribute', () => {
    const value = buildHcRoleExtensionValue([], {
      otherAttributes: [{ type: '1.3.6.1.5.5.7.9.1', valueDer: Uint8Array.from(Buffer.from('180f31393730303130313030303030305a', 'hex')) }],
    });
    expect(parseHcRoleExtensionValue(value)).toEqual([]);
  });

  it('keeps other coding schemes with their OID', () => {
    const value = buildHcRoleExtensionValue([{ role: 'Physician', codingScheme: '1.0.17090.1.1' }]);
    expect(parseHcRoleExtensionValue(value)).toEqual([{ role: 'Physician', codingScheme: '1.0.17090.1.1' }]);
  });

  it.each(Object.entries(malformedHcRoleExtensionValues))('refuses malformed value: %s', (_name, value) => {
    expectMalformed(() => parseHcRoleExtensionValue(value));
  });

  it('refuses every truncation of the real bytes', () => {
    const full = Buffer.from(MEDICAL_DOCTOR_EXTENSION_VALUE_HEX, 'hex');
    for (let length = 0; length < full.length; length++) {
      expectMalformed(() => parseHcRoleExtensionValue(full.subarray(0, length)));
    }
  });

  it('refuses a 1 MB blob without parsing it', () => {
    expectMalformed(() => parseHcRoleExtensionValue(randomBytes(1024 * 1024)));
  });

  it('refuses a 1 MB blob given as a certificate', () => {
    expect(() => parseHcRoles(randomBytes(1024 * 1024))).toThrow(expect.objectContaining({ code: 'certificate_too_large' }));
  });

  it('refuses bytes that are not a certificate', () => {
    expect(() => parseHcRoles(Buffer.from('not a certificate'))).toThrow(expect.objectContaining({ code: 'certificate_malformed' }));
  });

  it('refuses an empty SubjectDirectoryAttributes', () => {
    expectMalformed(() => parseHcRoleExtensionValue(Uint8Array.of(0x30, 0x00)));
  });
});

describe('HCActor with regionalHCActorData', () => {
  it('ignores the [1] regional part the CP says not to use', async () => {
    const { AsnConvert } = await import('@peculiar/asn1-schema');
    const { Attribute, CodedData, DirectoryString, HCActor, HCActorData, SubjectDirectoryAttributes } = await import('../../../src/pki/index.ts');
    const actor = new HCActor({
      codedData: new CodedData({ codingSchemeReference: JHPKI, codeDataFreeText: new DirectoryString({ utf8String: 'Medical Doctor' }) }),
      // SEQUENCE OF RegionalData with one opaque element.
      regionalHCActorData: Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01]).buffer,
    });
    const value = AsnConvert.serialize(new SubjectDirectoryAttributes([new Attribute({ type: '1.0.17090.0.1', values: [AsnConvert.serialize(new HCActorData([actor]))] })]));
    expect(Buffer.from(value).toString('hex')).toContain('a10530030201');
    expect(parseHcRoleExtensionValue(value)).toEqual([{ role: 'Medical Doctor', codingScheme: JHPKI }]);
  });
});
