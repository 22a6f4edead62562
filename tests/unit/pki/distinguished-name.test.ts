import { beforeAll, describe, expect, it } from 'vitest';
import { CrlIndex, createTrustStore, nameKey, namesMatch, prepareNameString, validateCertificate, x509 } from '../../../src/pki/index.ts';
import type { TrustStore } from '../../../src/pki/index.ts';
import { issueCrl, testCaName, nonConformingTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, NonConformingCertificates } from '../../../src/pki/test-pki/index.ts';

const DAY = 86400_000;

/** Issue 13 rule 10: names match under RFC 5280 §7.1 / RFC 4518, for chaining and CRL issuers. */
describe('name matching (RFC 5280 §7.1)', () => {
  let pki: HpkiTestPki, nc: NonConformingCertificates, store: TrustStore;
  beforeAll(async () => ({ pki, nc, store } = await nonConformingTestPki()));

  it('prepares strings as RFC 4518 does: case, insignificant spaces, width', () => {
    expect(prepareNameString('  MEDIS   Test ')).toBe('medis test');
    expect(prepareNameString('ＭＥＤＩＳ')).toBe('medis');
    expect(prepareNameString('Stra\u00dfe')).toBe(prepareNameString('STRASSE'));
    expect(prepareNameString('a\u00adb')).toBe('ab');
    expect(prepareNameString('a\tb')).toBe('a b');
  });

  it('matches names that differ in case and spacing, not names that differ in content or order', () => {
    const a = new x509.Name(testCaName('HPKI-01-TestAuthCA2-forAuthentication-forIndividual'));
    const b = new x509.Name([{ C: ['jp'] }, { O: ['medis  TEST'] }, { OU: [' medis hpki ca test'] }, { CN: ['hpki-01-testauthca2-forauthentication-forindividual'] }]);
    expect(a.toString()).not.toBe(b.toString());
    expect(namesMatch(a, b)).toBe(true);
    expect(nameKey(a)).toBe(nameKey(b));
    expect(namesMatch(a, new x509.Name(testCaName('HPKI-01-TestSignCA2-forNonRepudiation')))).toBe(false);
    expect(namesMatch(a, new x509.Name([{ O: ['MEDIS TEST'] }, { C: ['JP'] }, { OU: ['MEDIS HPKI CA TEST'] }, { CN: ['HPKI-01-TestAuthCA2-forAuthentication-forIndividual'] }]))).toBe(false);
  });

  it('builds the chain for a certificate whose issuer field spells the CA name in other case and spacing', async () => {
    const leaf = nc.certificates.issuerNameInOtherCase;
    expect(leaf.certificate.issuer).not.toBe(pki.authCa.certificate.subject);
    const result = await validateCertificate(leaf.der, { trustStore: store, profile: 'hpki-auth', now: pki.now });
    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.chain[1]).toBe(store.bySubject.get(nameKey(pki.authCa.certificate.subjectName))![0]!.certificate);
  });

  it('finds the issuer of a CRL whose issuer field is spelled differently', async () => {
    const crl = await issueCrl({
      issuer: pki.authCa,
      thisUpdate: pki.now,
      nextUpdate: new Date(pki.now.getTime() + DAY),
      issuerName: [{ C: ['JP'] }, { O: ['MEDIS TEST'] }, { OU: ['medis hpki ca test'] }, { CN: ['HPKI-01-TESTAUTHCA2-FORAUTHENTICATION-FORINDIVIDUAL'] }],
      revoked: [nc.certificates.issuerNameInOtherCase.certificate.serialNumber],
    });
    const index = await CrlIndex.load(crl.der, [pki.signCa.certificate, pki.authCa.certificate]);
    expect(index.issuer).toBe(pki.authCa.certificate);
    const revoking = await createTrustStore({ ...nc.trustStoreInput, crls: [pki.rootCrl.der, crl.der] });
    expect(await validateCertificate(nc.certificates.issuerNameInOtherCase.der, { trustStore: revoking, profile: 'hpki-auth', now: pki.now })).toMatchObject({
      ok: false,
      code: 'certificate_revoked',
    });
  });
});
