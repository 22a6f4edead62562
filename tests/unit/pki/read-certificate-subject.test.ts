import { beforeAll, describe, expect, it } from 'vitest';
import { readCertificateSubject } from '../../../src/pki/index.ts';
import { createHpkiTestPki, issuePractitionerCertificate } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

describe('readCertificateSubject', () => {
  let pki: HpkiTestPki;
  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
  });

  it('reads the romanised subject and the kanji directoryName (MEDIS layout)', async () => {
    const issued = await issuePractitionerCertificate({
      issuer: pki.authCa,
      kind: 'authentication',
      keyAlgorithm: 'ecdsa-p256',
      notBefore: pki.now,
      notAfter: new Date(pki.now.getTime() + 86400_000),
      practitioner: {
        romanisedName: 'Sanjushi Kagurazaka',
        kanjiFamilyName: '神楽坂',
        kanjiGivenName: '三十四',
        facilityEn: 'MEDIS UNIVERSITY HOSPITAL',
        facilityJa: '医療情報大学病院',
        hpkiId: 'Test117120',
      },
    });
    expect(readCertificateSubject(issued.certificate)).toEqual({
      dn: 'C=JP, O=MEDIS UNIVERSITY HOSPITAL, CN=Sanjushi Kagurazaka, 2.5.4.5=Test117120',
      country: 'JP',
      organization: 'MEDIS UNIVERSITY HOSPITAL',
      organizationalUnits: [],
      commonName: 'Sanjushi Kagurazaka',
      serialNumber: 'Test117120',
      kanji: {
        dn: 'C=JP, O=医療情報大学病院, CN=神楽坂　三十四, 2.5.4.5=Test117120',
        country: 'JP',
        organization: '医療情報大学病院',
        organizationalUnits: [],
        commonName: '神楽坂　三十四',
        serialNumber: 'Test117120',
        familyName: '神楽坂',
        givenName: '三十四',
      },
    });
  });

  it('has no kanji part without subjectAltName', () => {
    const subject = readCertificateSubject(pki.authCa.certificate);
    expect(subject.kanji).toBeUndefined();
    expect(subject.commonName).toBe('HPKI-01-TestAuthCA2-forAuthentication-forIndividual');
    expect(subject.organizationalUnits).toEqual(['MEDIS HPKI CA TEST']);
  });
});
