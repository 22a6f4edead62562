import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { consoleUser, type ConsoleUser } from '../support/admin-session.ts';
import { createPractitioner, JPKI_HCROLE_SCHEME } from '../../src/practitioners/practitioner.ts';
import { createJpkiTestPki, issueJpkiUserCertificate, issuePractitionerCertificate, type JpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importCrl, importTrustCertificates } from '../../src/pki/trust/trust-material-repository.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { currentNoticesFor } from '../../src/admin/notices.ts';
import { findExpiringCertificates, listExpiringCertificates } from '../../src/admin/expiring-certificates.ts';

/**
 * Issue 17, points 1, 4 and 8 on the server: notices (audience, dates, audit), expiry of the second
 * certificate and the linked My Number Card, and an administrator's My Number Card link after an
 * in-person check through the card bridge's origin-bound token.
 */
let t: TestPortal;
let jpki: JpkiTestPki;
let admin: ConsoleUser;
let doctor: ConsoleUser;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await startTestPortal('admin-notices');
  jpki = await createJpkiTestPki();
  await importTrustCertificates(t.portal.prisma, 'jpki', 'anchor', jpki.root.der);
  await importCrl(t.portal.prisma, 'jpki', jpki.rootCrl.der, 'test');
  admin = await consoleUser(t, { admin: true, registrationNumber: 'NOTICE-ADMIN' });
  doctor = await consoleUser(t, { admin: false, registrationNumber: 'NOTICE-DOCTOR' });
}, 60_000);
afterAll(() => t?.close());

const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const notice = (over: Record<string, unknown> = {}) => ({ title: 'メンテナンス', body: '12月8日 2:00〜4:00\n<b>停止</b>します', startsAt: iso(-DAY), endsAt: iso(DAY), audience: 'all', ...over });

describe('notices', () => {
  it('create, edit, delete: audited as admin.notice.*, text kept as written', async () => {
    const created = await admin.call('notices', notice());
    expect(created.status).toBe(201);
    const { notice: n } = await created.json();
    expect(n.body).toBe('12月8日 2:00〜4:00\n<b>停止</b>します');
    const edited = await admin.call(`notices/${n.id}`, notice({ title: '更新', audience: 'role', hcRole: 'Pharmacist' }));
    expect(edited.status).toBe(200);
    expect((await edited.json()).notice).toMatchObject({ title: '更新', audience: 'role', hcRole: 'Pharmacist' });
    const list = await (await admin.call('notices')).json();
    expect(list.notices.map((x: { id: string }) => x.id)).toContain(n.id);
    expect((await admin.call(`notices/${n.id}/delete`, {})).status).toBe(200);
    expect((await admin.call(`notices/${n.id}/delete`, {})).status).toBe(404);
    const events = await t.portal.prisma.auditEvent.findMany({ where: { event: { startsWith: 'admin.notice.' }, practitionerId: admin.id }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => `${e.event}:${e.result}`)).toEqual(['admin.notice.create:success', 'admin.notice.update:success', 'admin.notice.delete:success', 'admin.notice.delete:failure']);
    expect(events[1]!.details).toMatchObject({ noticeId: n.id, audience: 'role', hcRole: 'Pharmacist' });
    expect(events[3]!.errorCode).toBe('admin_notice_not_found');
  });

  it('refuses bad input with admin_input_invalid, and non-administrators with admin_required', async () => {
    for (const bad of [notice({ endsAt: iso(-2 * DAY) }), notice({ audience: 'role' }), notice({ audience: 'role', hcRole: 'Wizard' }), notice({ title: '' }), notice({ html: true })]) {
      const res = await admin.call('notices', bad);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe('admin_input_invalid');
    }
    const res = await doctor.call('notices', notice());
    expect(res.status).toBe(403);
    expect((await res.json()).error).toBe('admin_required');
    const cross = await admin.call('notices', notice(), { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
  });

  it('the home shows each person the notices of their audience within their dates', async () => {
    await t.portal.prisma.notice.deleteMany();
    const make = async (over: Record<string, unknown>) => (await (await admin.call('notices', notice(over))).json()).notice.id as string;
    const all = await make({ title: 'all' });
    const doctors = await make({ title: 'doctors', audience: 'role', hcRole: 'Medical Doctor' });
    const pharmacists = await make({ title: 'pharmacists', audience: 'role', hcRole: 'Pharmacist' });
    const admins = await make({ title: 'admins', audience: 'admins' });
    await make({ title: 'future', startsAt: iso(DAY), endsAt: iso(2 * DAY) });
    await make({ title: 'past', startsAt: iso(-3 * DAY), endsAt: iso(-DAY) });
    const ids = async (p: { isAdmin: boolean; hcRoles: unknown }) => (await currentNoticesFor(t.portal.prisma, p)).map((n) => n.id).sort();
    const doctorRoles = [{ role: 'Medical Doctor', codingScheme: JPKI_HCROLE_SCHEME }];
    expect(await ids({ isAdmin: false, hcRoles: doctorRoles })).toEqual([all, doctors].sort());
    expect(await ids({ isAdmin: true, hcRoles: doctorRoles })).toEqual([all, doctors, admins].sort());
    expect(await ids({ isAdmin: false, hcRoles: [{ role: 'Pharmacist', codingScheme: JPKI_HCROLE_SCHEME }] })).toEqual([all, pharmacists].sort());
    expect(await ids({ isAdmin: false, hcRoles: [] })).toEqual([all]);
  });
});

describe('expiry of the second certificate and the My Number Card', () => {
  it('lists a current second certificate and a card link that expire within the window; not a retired one, not an unknown expiry', async () => {
    const p = await createPractitioner(t.portal.prisma, { registrationNumber: 'EXP-1', familyName: 'Kigen', givenName: 'Ichiro' });
    const now = new Date();
    const second = await issuePractitionerCertificate({ kind: 'signing', notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 20 * DAY) });
    const old = await issuePractitionerCertificate({ kind: 'signing', notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 10 * DAY) });
    const row = (id: string, current: boolean, der: Uint8Array, status: string) => ({
      id,
      practitionerId: current ? p.id : null,
      ownerId: p.id,
      keyStore: 'software',
      keyRef: id,
      keyAlgorithm: 'RSA-2048',
      publicKeySpki: Buffer.from([0]),
      certificate: Buffer.from(der),
      status,
    });
    await t.portal.prisma.signingCredential.create({ data: row(`cur-${randomUUID()}`, true, second.der, 'active') });
    await t.portal.prisma.signingCredential.create({ data: row(`old-${randomUUID()}`, false, old.der, 'retired') });
    await t.portal.prisma.myNumberCardLink.create({ data: { fingerprint: `fp-${randomUUID()}`, practitionerId: p.id, jpkiIssuer: 'CN=JPKI', jpkiSubject: 'X', notAfter: new Date(now.getTime() + 40 * DAY) } });
    const unknown = await createPractitioner(t.portal.prisma, { registrationNumber: 'EXP-2', familyName: 'Fumei', givenName: 'Jiro' });
    await t.portal.prisma.myNumberCardLink.create({ data: { fingerprint: `fp-${randomUUID()}`, practitionerId: unknown.id, jpkiIssuer: 'CN=JPKI', jpkiSubject: 'Y' } });

    const mine = await findExpiringCertificates(t.portal.prisma, { days: 60, now, practitionerId: p.id });
    expect(mine.rows.map((r) => [r.kind, r.daysLeft])).toEqual([
      ['second', 19],
      ['mnc', 40],
    ]);
    expect((await findExpiringCertificates(t.portal.prisma, { days: 30, now, practitionerId: p.id })).rows.map((r) => r.kind)).toEqual(['second']);
    const consoleList = await listExpiringCertificates(t.portal.prisma, { days: 60, now });
    expect(consoleList.certificates.filter((c) => c.practitioner.registrationNumber === 'EXP-1').map((c) => c.kind)).toEqual(['second', 'mnc']);
    expect(consoleList.certificates.some((c) => c.practitioner.registrationNumber === 'EXP-2')).toBe(false);
  });
});

describe('an administrator links a My Number Card after an in-person check', () => {
  async function target(n: string) {
    return createPractitioner(t.portal.prisma, { registrationNumber: `AMNC-${n}`, familyName: 'Taimen', givenName: n });
  }
  async function adminLink(practitionerId: string, card: { certificate: unknown } & Parameters<typeof webEidToken>[0], body: Record<string, unknown> = {}, tokenOrigin = t.portal.rp.origin) {
    const c = await admin.call(`practitioners/${practitionerId}/my-number-card/challenge`, {});
    expect(c.status).toBe(200);
    const { nonce } = await c.json();
    const token = await webEidToken(card, { origin: tokenOrigin, nonce });
    const res = await admin.call(`practitioners/${practitionerId}/my-number-card/link`, { inPersonCheck: true, checkedBy: '受付 佐藤', proof: { nonce, token }, ...body });
    return { status: res.status, body: await res.json() };
  }

  it('links with the card’s expiry, audited as admin.mnc.link with the check and the admin; replacing is allowed', async () => {
    const p = await target('one');
    const linked = await adminLink(p.id, jpki.cards.valid);
    expect(linked).toMatchObject({ status: 200, body: { linked: true, replaced: false } });
    const row = await t.portal.prisma.myNumberCardLink.findUniqueOrThrow({ where: { practitionerId: p.id } });
    expect(row.notAfter?.toISOString()).toBe(jpki.cards.valid.certificate.notAfter.toISOString());
    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.mnc.link', result: 'success' }, orderBy: { seq: 'desc' } });
    expect(audit.practitionerId).toBe(admin.id);
    expect(audit.details).toMatchObject({ targetPractitionerId: p.id, inPersonCheck: true, checkedBy: '受付 佐藤', admin: admin.id, replaced: false });

    // A renewed card (new certificate, expiring soon) replaces the link: the administrator saw the person.
    const renewed = await issueJpkiUserCertificate({ issuer: jpki.root, cardId: '111111A1AAAAAA11111111A', notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 30 * DAY) });
    expect(await adminLink(p.id, renewed)).toMatchObject({ status: 200, body: { replaced: true } });
    const expiring = await findExpiringCertificates(t.portal.prisma, { days: 60, now: new Date(), practitionerId: p.id });
    expect(expiring.rows.map((r) => r.kind)).toEqual(['mnc']);
  });

  it('keeps SPEC §2: a card linked to someone else is refused (audited with the check), and the card gives no qualification', async () => {
    const a = await target('two');
    const b = await target('three');
    expect((await adminLink(a.id, jpki.cards.valid)).status).toBe(200);
    const refused = await adminLink(b.id, jpki.cards.valid);
    expect(refused).toMatchObject({ status: 409, body: { error: 'jpki_linked_elsewhere' } });
    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.mnc.link', result: 'failure' }, orderBy: { seq: 'desc' } });
    expect(audit.details).toMatchObject({ targetPractitionerId: b.id, inPersonCheck: true, checkedBy: '受付 佐藤', admin: admin.id });
    expect((await t.portal.prisma.practitioner.findUniqueOrThrow({ where: { id: a.id } })).hcRoles).toEqual([]);
  });

  it('needs the in-person check, the same admin session and practitioner, and a token for this origin', async () => {
    const p = await target('four');
    const other = await target('five');
    const noCheck = await admin.call(`practitioners/${p.id}/my-number-card/link`, { inPersonCheck: false, checkedBy: 'x', proof: { nonce: 'n'.repeat(43), token: 't' } });
    expect((await noCheck.json()).error).toBe('admin_input_invalid');
    // A challenge issued for one practitioner does not link another.
    const c = await (await admin.call(`practitioners/${p.id}/my-number-card/challenge`, {})).json();
    const token = await webEidToken(jpki.cards.valid, { origin: t.portal.rp.origin, nonce: c.nonce });
    const crossed = await admin.call(`practitioners/${other.id}/my-number-card/link`, { inPersonCheck: true, checkedBy: 'x', proof: { nonce: c.nonce, token } });
    expect((await crossed.json()).error).toBe('card_challenge_invalid');
    // Another administrator's session cannot use it either.
    const admin2 = await consoleUser(t, { admin: true, registrationNumber: 'NOTICE-ADMIN-2' });
    const c2 = await (await admin.call(`practitioners/${p.id}/my-number-card/challenge`, {})).json();
    const token2 = await webEidToken(jpki.cards.valid, { origin: t.portal.rp.origin, nonce: c2.nonce });
    const foreign = await admin2.call(`practitioners/${p.id}/my-number-card/link`, { inPersonCheck: true, checkedBy: 'x', proof: { nonce: c2.nonce, token: token2 } });
    expect((await foreign.json()).error).toBe('card_challenge_invalid');
    // The token signs the origin with the nonce: one made for another site does not verify here.
    expect((await adminLink(p.id, jpki.cards.valid, {}, 'https://evil.example')).body.error).toBe('card_signature_invalid');
    expect((await adminLink(p.id, jpki.cards.expired)).status).toBe(401);
    expect(await t.portal.prisma.myNumberCardLink.findUnique({ where: { practitionerId: p.id } })).toBeNull();
    // Not for non-administrators.
    expect((await doctor.call(`practitioners/${p.id}/my-number-card/challenge`, {})).status).toBe(403);
  });
});
