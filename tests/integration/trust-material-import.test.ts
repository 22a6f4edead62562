import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { consoleUser, type ConsoleUser } from '../support/admin-session.ts';
import { importTrustMaterial, importCrl, loadTrustStore } from '../../src/pki/trust/trust-material-repository.ts';
import { certificateFingerprint } from '../../src/pki/fingerprint.ts';
import { createHpkiTestPki, issueCertificate, issueCrl, issueNonConformingCertificates, testCaName, type HpkiTestPki, type NonConformingCertificates } from '../../src/pki/test-pki/index.ts';

/**
 * Trust material is stored all or nothing, CA certificates pass the leaf's structural rules, and a
 * CRL with a lower cRLNumber than the one held is refused (issue 13 rules 2, 6, 7, 9), through the
 * repository and the administration console's upload.
 */
let t: TestPortal;
let pki: HpkiTestPki;
let nc: NonConformingCertificates;
let admin: ConsoleUser;
const DAY = 86400_000;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

beforeAll(async () => {
  t = await startTestPortal('trust-material-import');
  pki = await createHpkiTestPki();
  nc = await issueNonConformingCertificates(pki);
  admin = await consoleUser(t, { admin: true, registrationNumber: 'ADMIN-TM' });
}, 60_000);
afterAll(() => t?.close());

const counts = async () => ({ certificates: await t.portal.prisma.trustCertificate.count(), crls: await t.portal.prisma.revocationList.count() });

describe('all or nothing', () => {
  it('stores nothing of a call when a later CRL is refused', async () => {
    const forged = await issueCrl({ issuer: pki.untrusted.authCa, thisUpdate: pki.now, nextUpdate: new Date(pki.now.getTime() + DAY) });
    await expect(
      importTrustMaterial(t.portal.prisma, {
        scheme: 'hpki',
        anchors: [pki.root.der],
        intermediates: [pki.authCa.der],
        crls: [
          { input: pki.rootCrl.der, source: 'a' },
          { input: forged.der, source: 'b' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'crl_invalid' });
    expect(await counts()).toEqual({ certificates: 0, crls: 0 });
  });

  it('accepts a CRL of a CA added in the same call, and writes everything together', async () => {
    const result = await importTrustMaterial(t.portal.prisma, {
      scheme: 'hpki',
      anchors: [pki.root.der],
      intermediates: [pki.authCa.der, pki.signCa.der],
      crls: [pki.rootCrl, pki.authCaCrl, pki.signCaCrl].map((c) => ({ input: c.der, source: 'test' })),
    });
    expect(result.certificates.map((c) => c.role)).toEqual(['anchor', 'intermediate', 'intermediate']);
    expect(result.crls.map((c) => c.crlNumber)).toEqual([1n, 1n, 1n]);
    expect(await counts()).toEqual({ certificates: 3, crls: 3 });
  });
});

describe('CA certificates pass the structural rules', () => {
  it('refuses a CA with an RSA-1024 key (certificate_key_too_weak), and a raised minimum refuses RSA-2048', async () => {
    await expect(importTrustMaterial(t.portal.prisma, { scheme: 'hpki', intermediates: [nc.weakCa.der] })).rejects.toMatchObject({ code: 'certificate_key_too_weak' });
    await expect(importTrustMaterial(t.portal.prisma, { scheme: 'hpki', intermediates: [pki.authCa.der] }, { minRsaBits: 3072 })).rejects.toMatchObject({ code: 'certificate_key_too_weak' });
    const upload = await admin.call('trust', { scheme: 'hpki', kind: 'intermediate', file: b64(nc.weakCa.der) });
    expect(upload.status).toBe(400);
    expect(await upload.json()).toMatchObject({ error: 'admin_trust_invalid' });
  });

  it('refuses a CA whose name holds a control character (certificate_name_invalid)', async () => {
    const ca = await issueCertificate({
      subject: testCaName('HPKI-01-\u0000Nul-CA'),
      issuer: pki.root,
      keyAlgorithm: 'ecdsa-p256',
      ca: {},
      notBefore: new Date(pki.now.getTime() - DAY),
      notAfter: new Date(pki.now.getTime() + 365 * DAY),
    });
    await expect(importTrustMaterial(t.portal.prisma, { scheme: 'hpki', intermediates: [ca.der] })).rejects.toMatchObject({ code: 'certificate_name_invalid' });
    expect((await counts()).certificates).toBe(3);
  });
});

describe('CRL numbers (RFC 5280 §5.2.3)', () => {
  it('loads a higher number and refuses a lower one, even dated later', async () => {
    const now = Date.now();
    const five = await issueCrl({ issuer: pki.authCa, thisUpdate: new Date(now - 60_000), nextUpdate: new Date(now + 7 * DAY), crlNumber: 5, revoked: [pki.practitioners.valid.certificate.serialNumber] });
    expect(await importCrl(t.portal.prisma, 'hpki', five.der, 'test')).toMatchObject({ crlNumber: 5n, duplicate: false });
    const fourLater = await issueCrl({ issuer: pki.authCa, thisUpdate: new Date(now), nextUpdate: new Date(now + 8 * DAY), crlNumber: 4 });
    await expect(importCrl(t.portal.prisma, 'hpki', fourLater.der, 'test')).rejects.toMatchObject({ code: 'crl_number_out_of_order', detail: expect.stringContaining('cRLNumber 4 is lower than 5') });
    // The same CRL again is a duplicate, not a refusal.
    expect(await importCrl(t.portal.prisma, 'hpki', five.der, 'again')).toMatchObject({ duplicate: true });
    const store = await loadTrustStore(t.portal.prisma, 'hpki');
    expect(store!.crls.get(certificateFingerprint(pki.authCa.certificate))!.crlNumber).toBe(5n);
  });

  it('refuses a reused number with other contents and a CRL without a number after a numbered one', async () => {
    const now = Date.now();
    const otherFive = await issueCrl({ issuer: pki.authCa, thisUpdate: new Date(now), nextUpdate: new Date(now + 9 * DAY), crlNumber: 5 });
    await expect(importCrl(t.portal.prisma, 'hpki', otherFive.der, 'test')).rejects.toMatchObject({ code: 'crl_number_out_of_order', detail: expect.stringContaining('other contents') });
    const unnumbered = await issueCrl({ issuer: pki.authCa, thisUpdate: new Date(now), nextUpdate: new Date(now + 9 * DAY), crlNumber: null });
    await expect(importCrl(t.portal.prisma, 'hpki', unnumbered.der, 'test')).rejects.toMatchObject({ code: 'crl_number_out_of_order', detail: expect.stringContaining('no cRLNumber') });
  });

  it('refuses a lower number at the console upload with the code, and keeps the newer CRL in force', async () => {
    const now = Date.now();
    const six = await issueCrl({ issuer: pki.signCa, thisUpdate: new Date(now - 60_000), nextUpdate: new Date(now + 7 * DAY), crlNumber: 6 });
    expect((await admin.call('trust', { scheme: 'hpki', kind: 'crl', file: b64(six.der) })).status).toBe(201);
    const three = await issueCrl({ issuer: pki.signCa, thisUpdate: new Date(now), nextUpdate: new Date(now + 8 * DAY), crlNumber: 3 });
    const refused = await admin.call('trust', { scheme: 'hpki', kind: 'crl', file: b64(three.der) });
    expect(refused.status).toBe(400);
    const body = await refused.json();
    expect(body.error).toBe('admin_trust_invalid');
    expect(JSON.stringify(body)).toContain('crl_number_out_of_order');
    const audit = await t.portal.prisma.auditEvent.findFirst({ where: { event: 'admin.trust.upload', result: 'failure' }, orderBy: { seq: 'desc' } });
    expect(audit?.errorCode).toBe('admin_trust_invalid');
    const store = await loadTrustStore(t.portal.prisma, 'hpki');
    expect(store!.crls.get(certificateFingerprint(pki.signCa.certificate))!.crlNumber).toBe(6n);
  });
});
