import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, issueCrl, issuePractitionerCertificate, type HpkiTestPki, type IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { recordPractitionerCertificate } from '../../src/practitioners/practitioner-certificates.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import { refreshCrlsFromDistributionPoints } from '../../src/pki/revocation/crl-refresh.ts';
import { validateCertificate } from '../../src/pki/validation/validate-certificate.ts';
import { crlDistributionPointsToRefresh } from '../../src/pki/revocation/crl-refresh.ts';
import { createOutboundFetch } from '../../src/net/outbound-fetch.ts';
import { TEST_REPOSITORY_URL } from '../../src/pki/test-pki/index.ts';

/** A CRL published at the certificate's distribution point is fetched, verified and enforced. */
let t: TestPortal;
let pki: HpkiTestPki;
let server: http.Server;
let base: string;
let card: IssuedCertificate;
const published = new Map<string, Uint8Array>();
// The test's distribution point is on 127.0.0.1: allowed here as PRIVATE_FETCH_HOSTS allows a LAN host.
const lan = createOutboundFetch({ allowHosts: ['127.0.0.1'], proxy: {} });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const body = published.get(req.url ?? '');
    if (!body) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/pkix-crl' });
    res.end(Buffer.from(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await startTestPortal('crl-refresh');
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  card = await issuePractitionerCertificate({
    issuer: pki.authCa,
    kind: 'authentication',
    hcRoles: [{ role: 'Medical Doctor' }],
    notBefore: new Date(Date.now() - 86400_000),
    notAfter: new Date(Date.now() + 86400_000 * 30),
    crlDistributionPoint: `${base}/auth.crl`,
  });
  const p = await createPractitioner(t.portal.prisma, { registrationNumber: 'CRL-1', familyName: 'C', givenName: 'R' });
  await recordPractitionerCertificate(t.portal.prisma, p.id, card.der, 'authentication');
}, 60_000);
afterAll(async () => {
  await t?.close();
  await lan.close();
  server?.close();
});

describe('CRL refresh from distribution points', () => {
  it('records where the issuing CA publishes its CRL', async () => {
    const row = await t.portal.prisma.practitionerCertificate.findFirstOrThrow();
    expect(row.crlUrls).toEqual([`${base}/auth.crl`]);
  });

  it('reports an unreachable point without failing, and keeps the stored CRL in force', async () => {
    const results = await refreshCrlsFromDistributionPoints(t.portal.prisma, 'hpki', { timeoutMs: 2000, fetch: lan });
    expect(results.find((r) => r.url === `${base}/auth.crl`)).toMatchObject({ outcome: 'failed', detail: 'HTTP 404' });
    const store = await t.portal.trust.get('hpki');
    expect((await validateCertificate(card.der, { trustStore: store!, profile: 'hpki-auth' })).ok).toBe(true);
  });

  it('refuses a CRL that no trusted CA signed', async () => {
    const forged = await issueCrl({ issuer: pki.untrusted.authCa, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 86400_000), revoked: [card.certificate.serialNumber] });
    published.set('/auth.crl', forged.der);
    const results = await refreshCrlsFromDistributionPoints(t.portal.prisma, 'hpki', { timeoutMs: 2000, fetch: lan });
    expect(results.find((r) => r.url === `${base}/auth.crl`)?.outcome).toBe('failed');
  });

  it('loads a newer CRL that revokes the card, and validation then fails closed', async () => {
    const fresh = await issueCrl({
      issuer: pki.authCa,
      thisUpdate: new Date(Date.now() - 1000),
      nextUpdate: new Date(Date.now() + 86400_000),
      revoked: [card.certificate.serialNumber],
      crlNumber: 99,
    });
    published.set('/auth.crl', fresh.der);
    const results = await refreshCrlsFromDistributionPoints(t.portal.prisma, 'hpki', { timeoutMs: 2000, fetch: lan });
    expect(results.find((r) => r.url === `${base}/auth.crl`)?.outcome).toBe('loaded');
    t.portal.trust.invalidate('hpki');
    const store = await t.portal.trust.get('hpki');
    const result = await validateCertificate(card.der, { trustStore: store!, profile: 'hpki-auth' });
    expect(result).toMatchObject({ ok: false, code: 'certificate_revoked' });
  });

  it('refuses a CRL with a lower cRLNumber than the one held, even dated later (RFC 5280 §5.2.3)', async () => {
    const replayed = await issueCrl({ issuer: pki.authCa, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 2 * 86400_000), crlNumber: 50 });
    published.set('/auth.crl', replayed.der);
    const results = await refreshCrlsFromDistributionPoints(t.portal.prisma, 'hpki', { timeoutMs: 2000, fetch: lan });
    const result = results.find((r) => r.url === `${base}/auth.crl`);
    expect(result?.outcome).toBe('failed');
    expect(result?.detail).toMatch(/^crl_number_out_of_order: .*cRLNumber 50 is lower than 99/);
    t.portal.trust.invalidate('hpki');
    const store = await t.portal.trust.get('hpki');
    expect(await validateCertificate(card.der, { trustStore: store!, profile: 'hpki-auth' })).toMatchObject({ ok: false, code: 'certificate_revoked' });
  });

  it('fetches through the outbound fetch: without an allowed host, a loopback distribution point is refused', async () => {
    const results = await refreshCrlsFromDistributionPoints(t.portal.prisma, 'hpki', { timeoutMs: 2000 });
    expect(results.find((r) => r.url === `${base}/auth.crl`)).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^destination_refused: /) });
  });

  it('covers every distinct distribution point of trusted CAs and of practitioners’ certificates, each once', async () => {
    const validity = { notBefore: new Date(Date.now() - 86400_000), notAfter: new Date(Date.now() + 86400_000 * 30) };
    const p = await createPractitioner(t.portal.prisma, { registrationNumber: 'CRL-2', familyName: 'D', givenName: 'P' });
    // Same issuer as `card`, another (partitioned) CRL: it must not push the first URL out of the list.
    const second = await issuePractitionerCertificate({ issuer: pki.authCa, kind: 'authentication', crlDistributionPoint: `${base}/auth-2.crl`, ...validity });
    const sameUrl = await issuePractitionerCertificate({ issuer: pki.authCa, kind: 'authentication', crlDistributionPoint: `${base}/auth.crl`, ...validity });
    const expired = await issuePractitionerCertificate({ issuer: pki.authCa, kind: 'authentication', crlDistributionPoint: `${base}/expired.crl`, notBefore: new Date(Date.now() - 10 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
    for (const c of [second, sameUrl, expired]) await recordPractitionerCertificate(t.portal.prisma, p.id, c.der, 'authentication');
    expect(await crlDistributionPointsToRefresh(t.portal.prisma, 'hpki')).toEqual(
      [`${TEST_REPOSITORY_URL}/rlist/rarl2.crl`, `${TEST_REPOSITORY_URL}/rlist/sarl2.crl`, `${base}/auth.crl`, `${base}/auth-2.crl`].sort(),
    );
    const results = await refreshCrlsFromDistributionPoints(t.portal.prisma, 'hpki', { timeoutMs: 2000, fetch: lan });
    expect(results.map((r) => r.url).sort()).toEqual([`${TEST_REPOSITORY_URL}/rlist/rarl2.crl`, `${TEST_REPOSITORY_URL}/rlist/sarl2.crl`, `${base}/auth.crl`, `${base}/auth-2.crl`].sort());
  });
});
