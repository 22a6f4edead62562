import { beforeAll, describe, expect, it } from 'vitest';
import { certificateProfiles, createTrustStore, validateCertificateChain, x509 } from '../../../src/pki/index.ts';
import type { CertificateProfile, TrustStore } from '../../../src/pki/index.ts';
import {
  createHpkiTestPki,
  issueCertificate,
  issuePractitionerCertificate,
  testCaName,
} from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, IssuedCertificate, IssueCertificateOptions } from '../../../src/pki/test-pki/index.ts';

const profile = certificateProfiles['hpki-auth'];
const DAY = 86400_000;

describe('validateCertificateChain', () => {
  let pki: HpkiTestPki;
  let trustStore: TrustStore;
  beforeAll(async () => {
    pki = await createHpkiTestPki();
    trustStore = await createTrustStore(pki.trustStoreInput);
  });

  const caUnder = (issuer: IssuedCertificate, cn: string, extra: Partial<IssueCertificateOptions> = {}) =>
    issueCertificate({
      subject: testCaName(cn),
      issuer,
      keyAlgorithm: 'ecdsa-p256',
      notBefore: new Date(pki.now.getTime() - DAY),
      notAfter: new Date(pki.now.getTime() + 365 * DAY),
      ca: {},
      ...extra,
    });
  const leafUnder = (issuer: IssuedCertificate) =>
    issuePractitionerCertificate({
      issuer,
      kind: 'authentication',
      keyAlgorithm: 'ecdsa-p256',
      notBefore: new Date(pki.now.getTime() - DAY),
      notAfter: new Date(pki.now.getTime() + DAY),
    });
  const codeOf = async (leaf: x509.X509Certificate, store: TrustStore = trustStore, p: CertificateProfile = profile) => {
    try {
      await validateCertificateChain(leaf, store, p, pki.now);
      return undefined;
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it('builds leaf → issuing CA → root, verifying each signature', async () => {
    const chain = await validateCertificateChain(pki.practitioners.valid.certificate, trustStore, profile, pki.now);
    expect(chain.map((c) => c.serialNumber)).toEqual([pki.practitioners.valid.certificate.serialNumber, '05', '01']);
  });

  it('refuses a certificate from an impostor CA with the same names', async () => {
    expect(await codeOf(pki.practitioners.untrustedIssuer.certificate)).toBe('certificate_untrusted');
  });

  it('refuses a self-signed leaf even when it is configured as an anchor', async () => {
    const store = await createTrustStore({ ...pki.trustStoreInput, anchors: [pki.root.der, pki.practitioners.selfSigned.der] });
    expect(await codeOf(pki.practitioners.selfSigned.certificate, store)).toBe('certificate_untrusted');
  });

  it('refuses when the issuing CA certificate is not in the store', async () => {
    const store = await createTrustStore({ anchors: [pki.root.der] });
    expect(await codeOf(pki.practitioners.valid.certificate, store)).toBe('certificate_untrusted');
  });

  it('does not trust an intermediate on its own', async () => {
    const store = await createTrustStore({ anchors: [pki.untrusted.root.der], intermediates: [pki.authCa.der] });
    expect(await codeOf(pki.practitioners.valid.certificate, store)).toBe('certificate_untrusted');
  });

  it('refuses a path longer than the profile allows', async () => {
    const ca1 = await caUnder(pki.root, 'Level 1 CA');
    const ca2 = await caUnder(ca1, 'Level 2 CA');
    const ca3 = await caUnder(ca2, 'Level 3 CA');
    const leaf = await leafUnder(ca3);
    const store = await createTrustStore({ anchors: [pki.root.der], intermediates: [ca1.der, ca2.der, ca3.der] });
    expect(await codeOf(leaf.certificate, store)).toBe('certificate_chain_too_long');
    expect(await codeOf(leaf.certificate, store, { ...profile, maxChainLength: 5 })).toBeUndefined();
  });

  it('refuses an issuer without basicConstraints cA=true', async () => {
    const notCa = await issueCertificate({
      subject: testCaName('Not a CA'),
      issuer: pki.root,
      keyAlgorithm: 'ecdsa-p256',
      notBefore: pki.now,
      notAfter: new Date(pki.now.getTime() + DAY),
      keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    });
    const leaf = await leafUnder(notCa);
    const store = await createTrustStore({ anchors: [pki.root.der], intermediates: [notCa.der] });
    expect(await codeOf(leaf.certificate, store)).toBe('certificate_chain_invalid');
  });

  it('refuses an issuer without keyCertSign', async () => {
    const ca = await caUnder(pki.root, 'CRL-only CA', { ca: { keyUsage: x509.KeyUsageFlags.cRLSign } });
    const store = await createTrustStore({ anchors: [pki.root.der], intermediates: [ca.der] });
    expect(await codeOf((await leafUnder(ca)).certificate, store)).toBe('certificate_chain_invalid');
  });

  it('refuses an expired issuing CA', async () => {
    const ca = await caUnder(pki.root, 'Expired CA', { notBefore: new Date(pki.now.getTime() - 10 * DAY), notAfter: new Date(pki.now.getTime() - DAY) });
    const store = await createTrustStore({ anchors: [pki.root.der], intermediates: [ca.der] });
    expect(await codeOf((await leafUnder(ca)).certificate, store)).toBe('certificate_chain_invalid');
  });

  it('enforces pathLenConstraint', async () => {
    const ca1 = await caUnder(pki.root, 'Constrained CA', { ca: { pathLength: 0 } });
    const ca2 = await caUnder(ca1, 'Sub CA');
    const store = await createTrustStore({ anchors: [pki.root.der], intermediates: [ca1.der, ca2.der] });
    expect(await codeOf((await leafUnder(ca2)).certificate, store)).toBe('certificate_chain_invalid');
    expect(await codeOf((await leafUnder(ca1)).certificate, store)).toBeUndefined();
  });

  it('finds the right issuer among CAs sharing a name (key rollover)', async () => {
    const oldGeneration = await caUnder(pki.root, 'Rolled CA');
    const newGeneration = await caUnder(pki.root, 'Rolled CA');
    const leaf = await leafUnder(newGeneration);
    const store = await createTrustStore({ anchors: [pki.root.der], intermediates: [oldGeneration.der, newGeneration.der] });
    const chain = await validateCertificateChain(leaf.certificate, store, profile, pki.now);
    expect(chain[1]!.serialNumber).toBe(newGeneration.certificate.serialNumber);
  });

  it('accepts a leaf issued directly by an anchor', async () => {
    const leaf = await leafUnder(pki.root);
    expect(await codeOf(leaf.certificate)).toBeUndefined();
  });
});
