import { beforeAll, describe, expect, it } from 'vitest';
import { validateCertificate, validateNameCharacters } from '../../../src/pki/index.ts';
import type { TrustStore } from '../../../src/pki/index.ts';
import { textProblem } from '../../../src/pki/validation/validate-name-characters.ts';
import { issuePractitionerCertificate, testPractitionerIdentity, nonConformingTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, NonConformingCertificates } from '../../../src/pki/test-pki/index.ts';

/** Issue 13 rule 7: no control characters in the names a certificate carries (they are stored and shown). */
describe('validateNameCharacters', () => {
  let pki: HpkiTestPki, nc: NonConformingCertificates, store: TrustStore;
  beforeAll(async () => ({ pki, nc, store } = await nonConformingTestPki()));
  const validate = (der: Uint8Array) => validateCertificate(der, { trustStore: store, profile: 'hpki-auth', now: pki.now });

  it.each([
    ['U+0000 in the subject CN', 'nulInCommonName', 'subject 2.5.4.3', 'U+0000'],
    ['ESC in the kanji name of the subjectAltName', 'escapeInKanjiName', 'subjectAltName directoryName', 'U+001B'],
    ['U+0000 in a CRL distribution point URI', 'nulInCrlUrl', 'cRLDistributionPoints URI', 'U+0000'],
  ] as const)('refuses %s with certificate_name_invalid', async (_name, variant, where, character) => {
    const result = await validate(nc.certificates[variant].der);
    expect(result).toMatchObject({ ok: false, code: 'certificate_name_invalid' });
    expect(!result.ok && result.detail).toContain(where);
    expect(!result.ok && result.detail).toContain(character);
  });

  it('refuses DEL, C1 controls and tabs too, in any name field', async () => {
    for (const [field, value] of [
      ['facilityEn', 'HOSPITAL\u007f'],
      ['facilityJa', '病院\u0085'],
      ['hpkiId', 'Test\t0001'],
    ] as const) {
      const c = await issuePractitionerCertificate({
        issuer: pki.authCa,
        kind: 'authentication',
        keyAlgorithm: 'ecdsa-p256',
        practitioner: testPractitionerIdentity('Test139999', { [field]: value }),
        notBefore: new Date(pki.now.getTime() - 86400_000),
        notAfter: new Date(pki.now.getTime() + 86400_000),
      });
      expect(await validate(c.der), field).toMatchObject({ ok: false, code: 'certificate_name_invalid' });
    }
  });

  it('accepts the HPKI layout: kanji with the full-width space, romanised names, URIs', () => {
    expect(() => validateNameCharacters(pki.practitioners.valid.certificate)).not.toThrow();
    expect(textProblem('神楽坂\u3000三十四')).toBeUndefined();
    expect(textProblem('half \ud800 pair')).toContain('surrogate');
    expect(textProblem('\ud83d\ude00 pair')).toBeUndefined();
  });
});
