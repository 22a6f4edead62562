import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, issueCrl, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { consoleUser, type ConsoleUser } from '../support/admin-session.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { parseCsv } from '../../src/admin/csv.ts';

/** The console's trust anchors and CRLs (upload, listing with warnings, cache invalidation) and audit log (filter, export, verify). */
let t: TestPortal;
let pki: HpkiTestPki;
let admin: ConsoleUser;
let client: { id: string; secret: string; redirectUri: string };
const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');

beforeAll(async () => {
  t = await startTestPortal('admin-trust-audit', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  admin = await consoleUser(t, { admin: true, registrationNumber: 'ADMIN-T' });
  const made = await upsertClient(t.portal.prisma, { clientId: 'ehr-t', name: 'EHR', redirectUris: ['http://localhost:9/cb'] });
  client = { id: 'ehr-t', secret: made.clientSecret, redirectUri: 'http://localhost:9/cb' };
}, 60_000);
afterAll(() => t?.close());

async function cardLoginStatus() {
  const login = await beginLoginInteraction(t.url, client);
  const challenge = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, jsonPost({}));
  // Without trust material the card method is not even offered.
  if (challenge.status !== 200) return { status: challenge.status, error: (await challenge.json()).error };
  const { nonce } = await challenge.json();
  const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
  const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/verify`, jsonPost({ nonce, token }));
  return { status: res.status, error: res.status === 200 ? undefined : (await res.json()).error };
}

describe('trust anchors and CRLs', () => {
  it('logins fail closed before anything is trusted', async () => {
    expect(await cardLoginStatus()).toEqual({ status: 400, error: 'method_not_available' });
  });

  it('a CRL whose CA is not loaded yet is refused with a code', async () => {
    const res = await admin.call('trust', { scheme: 'hpki', kind: 'crl', file: b64(pki.authCaCrl.der) });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('admin_trust_invalid');
  });

  it('uploads the anchor (PEM), the issuing CAs (DER) and their CRLs; logins work at once', async () => {
    const anchor = await admin.call('trust', { scheme: 'hpki', kind: 'anchor', file: b64(pki.root.pem), fileName: 'root.pem' });
    expect(anchor.status).toBe(201);
    expect((await anchor.json()).certificates[0].subject).toContain('MHLW HPKI Root CA V2 TEST');
    for (const ca of [pki.authCa, pki.signCa]) expect((await admin.call('trust', { scheme: 'hpki', kind: 'intermediate', file: b64(ca.der) })).status).toBe(201);
    for (const crl of [pki.rootCrl, pki.signCaCrl]) expect((await admin.call('trust', { scheme: 'hpki', kind: 'crl', file: b64(crl.der) })).status).toBe(201);
    expect((await admin.call('trust', { scheme: 'hpki', kind: 'crl', file: b64(pki.authCaCrl.pem) })).status).toBe(201);
    // The trust-store cache was invalidated: no waiting for the periodic reload.
    expect(await cardLoginStatus()).toEqual({ status: 200, error: undefined });
  });

  it('refuses an end-entity certificate as an anchor, and garbage', async () => {
    const leaf = await admin.call('trust', { scheme: 'hpki', kind: 'anchor', file: b64(pki.practitioners.valid.der) });
    expect((await leaf.json()).error).toBe('admin_trust_invalid');
    const junk = await admin.call('trust', { scheme: 'jpki', kind: 'anchor', file: b64('hello') });
    expect((await junk.json()).error).toBe('admin_trust_invalid');
    const notBase64 = await admin.call('trust', { scheme: 'hpki', kind: 'anchor', file: '%%%' });
    expect((await notBase64.json()).error).toBe('admin_input_invalid');
    const badKind = await admin.call('trust', { scheme: 'hpki', kind: 'root', file: b64(pki.root.der) });
    expect((await badKind.json()).error).toBe('admin_input_invalid');
  });

  it('lists anchors and CAs with expiry and CRL next update, warning when a CRL is due within 24 h or past', async () => {
    let list = await (await admin.call('trust')).json();
    expect(list.certificates).toHaveLength(3);
    expect(list.certificates.every((c: { warnings: string[] }) => c.warnings.length === 0)).toBe(true);
    expect(list.crls).toHaveLength(3);

    const now = Date.now();
    const due = await issueCrl({ issuer: pki.signCa, thisUpdate: new Date(now - 60_000), nextUpdate: new Date(now + 12 * 3600_000), crlNumber: 2 });
    expect((await admin.call('trust', { scheme: 'hpki', kind: 'crl', file: b64(due.der) })).status).toBe(201);
    const past = await issueCrl({ issuer: pki.root, thisUpdate: new Date(now - 2 * 86400_000 + 60_000), nextUpdate: new Date(now - 3600_000), crlNumber: 2 });
    const pastUpload = await admin.call('trust', { scheme: 'hpki', kind: 'crl', file: b64(past.der) });
    list = await (await admin.call('trust')).json();
    const bySubject = (cn: string) => list.certificates.find((c: { subject: string }) => c.subject.includes(cn));
    expect(bySubject('TestSignCA2').warnings).toEqual(['crl_due']);
    expect(new Date(bySubject('TestSignCA2').crl.nextUpdate).getTime()).toBe(Math.floor((now + 12 * 3600_000) / 1000) * 1000);
    expect(list.crls.find((c: { issuer: string }) => c.issuer.includes('TestSignCA2')).warning).toBe('crl_due');
    if (pastUpload.status === 201) {
      // Stored, but older than the CRL already there: the newest decides, and it is fine.
      expect(bySubject('Root CA V2 TEST').warnings).toEqual([]);
    } else {
      expect((await pastUpload.json()).error).toBe('admin_trust_invalid');
    }
  });
});

describe('audit log', () => {
  it('filters by event prefix, result, person and service, paged', async () => {
    const all = await (await admin.call('audit?event=admin.trust.')).json();
    expect(all.total).toBeGreaterThanOrEqual(9);
    expect(all.entries.every((e: { event: string }) => e.event === 'admin.trust.upload')).toBe(true);
    const failures = await (await admin.call('audit?event=admin.trust.upload&result=failure')).json();
    expect(failures.entries.map((e: { errorCode: string }) => e.errorCode)).toEqual(expect.arrayContaining(['admin_trust_invalid', 'admin_input_invalid']));
    expect(failures.entries.every((e: { result: string }) => e.result === 'failure')).toBe(true);
    const byPerson = await (await admin.call('audit?person=ADMIN-T&result=success')).json();
    expect(byPerson.total).toBeGreaterThanOrEqual(6);
    expect(byPerson.entries.every((e: { practitionerId: string }) => e.practitionerId === admin.id)).toBe(true);
    const byService = await (await admin.call('audit?service=ehr-t')).json();
    expect(byService.entries.length).toBeGreaterThan(0);
    expect(byService.entries.every((e: { clientId: string }) => e.clientId === 'ehr-t')).toBe(true);
    const future = await (await admin.call(`audit?from=${encodeURIComponent(new Date(Date.now() + 86400_000).toISOString())}`)).json();
    expect(future.total).toBe(0);
    const page2 = await (await admin.call('audit?page=2')).json();
    expect(page2.page).toBe(2);
    expect((await admin.call('audit?result=maybe')).status).toBe(400);
  });

  it('exports the filter as CSV with both hashes', async () => {
    const res = await admin.call('audit/export.csv?event=admin.trust.upload&result=failure');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="audit-/);
    const records = parseCsv(await res.text());
    expect(records[0]!.fields).toEqual(['seq', 'at', 'event', 'result', 'practitioner_id', 'client_id', 'method', 'error_code', 'ip', 'details', 'prev_hash', 'hash']);
    expect(records.length).toBeGreaterThanOrEqual(4);
    expect(records.slice(1).every((r) => r.fields[2] === 'admin.trust.upload' && r.fields[3] === 'failure' && /^[0-9a-f]{64}$/.test(r.fields[11]!))).toBe(true);
    const exported = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.audit.export' } });
    expect((exported.details as { filter: { event: string } }).filter.event).toBe('admin.trust.upload');
  });

  it('verifies the chain and reports the result', async () => {
    const res = await admin.call('audit/verify', {});
    const body = await res.json();
    expect(body.ok).toBe(true);
    expect(body.entries).toBeGreaterThan(10);
    expect(body.lastHash).toMatch(/^[0-9a-f]{64}$/);
    const recorded = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.audit.verify' } });
    expect((recorded.details as { ok: boolean }).ok).toBe(true);
  });

  it('the audit endpoints are for administrators only', async () => {
    const doctor = await consoleUser(t, { admin: false, registrationNumber: 'DOC-T' });
    expect((await doctor.call('audit')).status).toBe(403);
    expect((await doctor.call('audit/export.csv')).status).toBe(403);
    expect((await doctor.call('audit/verify', {})).status).toBe(403);
    expect((await doctor.call('trust', { scheme: 'hpki', kind: 'anchor', file: b64(pki.untrusted.root.der) })).status).toBe(403);
    expect(await t.portal.prisma.trustCertificate.count()).toBe(3);
  });
});
