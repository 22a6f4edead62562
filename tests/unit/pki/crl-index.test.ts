import { beforeAll, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { DistributionPointName, GeneralName, IssuingDistributionPoint, Reason, ReasonFlags } from '@peculiar/asn1-x509';
import { CrlIndex, normaliseSerialHex, x509 } from '../../../src/pki/index.ts';
import { createHpkiTestPki, issueCertificate, issueCrl, issueLargeCrl } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

const DAY = 86400_000;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('CrlIndex', () => {
  let pki: HpkiTestPki;
  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
  });
  const window = () => ({ thisUpdate: pki.now, nextUpdate: new Date(pki.now.getTime() + DAY) });

  it('loads DER and PEM and finds a revoked serial', async () => {
    for (const input of [pki.authCaCrl.der, pki.authCaCrl.pem]) {
      const index = await CrlIndex.load(input, pki.authCa.certificate);
      expect(index.size).toBe(1);
      expect(index.isRevoked(pki.practitioners.revoked.certificate.serialNumber)).toBe(true);
      expect(index.lookup(pki.practitioners.revoked.certificate.serialNumber)?.reason).toBe(x509.X509CrlReason.keyCompromise);
      expect(index.isRevoked(pki.practitioners.valid.certificate.serialNumber)).toBe(false);
      expect(index.nextUpdate.getTime()).toBeGreaterThan(index.thisUpdate.getTime());
      expect(index.scope).toBe('all');
    }
  });

  it('normalises serial spelling (case, leading zeros, separators)', async () => {
    const crl = await issueCrl({ issuer: pki.authCa, ...window(), revoked: ['00ab12', '7f'] });
    const index = await CrlIndex.load(crl.der, pki.authCa.certificate);
    for (const spelling of ['ab12', 'AB12', '00AB12', 'ab:12', '0000ab12']) expect(index.isRevoked(spelling)).toBe(true);
    expect(index.isRevoked('7F')).toBe(true);
    expect(index.isRevoked('ab1200')).toBe(false);
    expect(normaliseSerialHex('000')).toBe('00');
  });

  it('indexes a CRL with 100,000 revoked serials', async () => {
    const serials = Array.from({ length: 100_000 }, (_, i) => (0x10_0000 + i * 7).toString(16));
    const crl = await issueLargeCrl({ issuer: pki.authCa, ...window(), revokedSerials: serials });
    const index = await CrlIndex.load(crl.der, pki.authCa.certificate);
    expect(index.size).toBe(100_000);
    expect(index.isRevoked(serials[0]!)).toBe(true);
    expect(index.isRevoked(serials[54_321]!)).toBe(true);
    expect(index.isRevoked(serials[99_999]!)).toBe(true);
    expect(index.isRevoked((0x10_0000 + 1).toString(16))).toBe(false);
    expect(index.isRevoked(pki.practitioners.valid.certificate.serialNumber)).toBe(false);
  });

  it('refuses a CRL signed by another key', async () => {
    expect(await codeOf(CrlIndex.load(pki.authCaCrl.der, pki.untrusted.authCa.certificate))).toBe('crl_invalid');
  });

  it('refuses a CRL whose issuer name is not the given CA', async () => {
    expect(await codeOf(CrlIndex.load(pki.authCaCrl.der, pki.signCa.certificate))).toBe('crl_invalid');
  });

  it('refuses a tampered CRL', async () => {
    const der = Buffer.from(pki.authCaCrl.der);
    der[der.length - 80]! ^= 0x01;
    expect(await codeOf(CrlIndex.load(der, pki.authCa.certificate))).toBe('crl_invalid');
  });

  it('refuses garbage and truncated input', async () => {
    expect(await codeOf(CrlIndex.load(Buffer.from('not a crl'), pki.authCa.certificate))).toBe('crl_invalid');
    expect(await codeOf(CrlIndex.load(pki.authCaCrl.der.subarray(0, 50), pki.authCa.certificate))).toBe('crl_invalid');
  });

  it('refuses a CRL without nextUpdate', async () => {
    const crl = await issueCrl({ issuer: pki.authCa, thisUpdate: pki.now });
    expect(await codeOf(CrlIndex.load(crl.der, pki.authCa.certificate))).toBe('crl_invalid');
  });

  it('refuses delta CRLs, unknown critical extensions and reason-partitioned CRLs', async () => {
    const delta = new x509.Extension('2.5.29.27', true, Uint8Array.of(0x02, 0x01, 0x01));
    const unknownCritical = new x509.Extension('1.2.3.4.5', true, Uint8Array.of(0x05, 0x00));
    const someReasons = new x509.Extension(
      '2.5.29.28',
      true,
      AsnConvert.serialize(new IssuingDistributionPoint({ onlySomeReasons: new Reason(ReasonFlags.keyCompromise) })),
    );
    for (const extension of [delta, unknownCritical, someReasons]) {
      const crl = await issueCrl({ issuer: pki.authCa, ...window(), extensions: [extension] });
      expect(await codeOf(CrlIndex.load(crl.der, pki.authCa.certificate))).toBe('crl_invalid');
    }
  });

  it('records the distribution point of a partitioned CRL', async () => {
    const idp = new IssuingDistributionPoint({
      distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: 'http://example.invalid/p1.crl' })] }),
    });
    const crl = await issueCrl({ issuer: pki.authCa, ...window(), extensions: [new x509.Extension('2.5.29.28', true, AsnConvert.serialize(idp))] });
    const index = await CrlIndex.load(crl.der, pki.authCa.certificate);
    expect(index.distributionPointUris).toEqual(['http://example.invalid/p1.crl']);
  });

  it('picks the issuer among several candidates', async () => {
    const index = await CrlIndex.load(pki.authCaCrl.der, [pki.untrusted.authCa.certificate, pki.signCa.certificate, pki.authCa.certificate]);
    expect(index.issuer.serialNumber).toBe(pki.authCa.certificate.serialNumber);
  });

  it('verifies the CRL of an ECDSA CA whose certificate an RSA root signed (the CA key, not its certificate, decides)', async () => {
    const ecdsaCa = await issueCertificate({
      subject: [{ CN: ['ECDSA CA under an RSA root'] }],
      issuer: pki.root,
      keyAlgorithm: 'ecdsa-p256',
      serialNumber: '0e',
      notBefore: new Date(Date.now() - 86400_000),
      notAfter: new Date(Date.now() + 86400_000 * 365),
      ca: { pathLength: 0 },
    });
    const crl = await issueCrl({ issuer: ecdsaCa, ...window(), revoked: ['2a'] });
    const index = await CrlIndex.load(crl.der, ecdsaCa.certificate);
    expect(index.isRevoked('2a')).toBe(true);
  });

  it('is immutable', async () => {
    const index = await CrlIndex.load(pki.authCaCrl.der, pki.authCa.certificate);
    expect(Object.isFrozen(index)).toBe(true);
  });
});
