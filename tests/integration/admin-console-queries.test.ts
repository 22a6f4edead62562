import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { openDatabase, type OpenedDatabase } from '../../src/db/open-database.ts';
import { appendAudit } from '../../src/audit/audit-log.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import { issueRegistrationCode, addMonths } from '../../src/practitioners/registration-codes.ts';
import { auditFilterSchema, queryAudit, AUDIT_PAGE_SIZE } from '../../src/admin/audit-query.ts';
import { AUDIT_EVENT_GROUPS, AUDIT_EVENTS, AUDIT_METHODS, auditEventMessageKey } from '../../src/admin/audit-events.ts';
import ja from '../../src/i18n/messages/ja.json' with { type: 'json' };
import en from '../../src/i18n/messages/en.json' with { type: 'json' };
import { listPractitionersWithoutDevice } from '../../src/admin/practitioners-without-device.ts';
import { expiringQuerySchema, listExpiringCertificates } from '../../src/admin/expiring-certificates.ts';

/**
 * The console's server-side queries (issue 16, points 13 and 14): the audit log's filters, pages
 * and names; practitioners without a device; certificates that expire soon. Runs on PGlite, and on
 * PostgreSQL when DATABASE_URL is set.
 */
let database: TestDatabase;
let opened: OpenedDatabase;
const ids: Record<string, string> = {};
const DAY = 86_400_000;
const NOW = new Date('2026-12-07T02:40:00Z'); // 11:40 JST

beforeAll(async () => {
  database = await createTestDatabase('admin-console-queries');
  opened = await openDatabase({ url: database.url, migrate: true });
  const prisma = opened.prisma;
  const person = (registrationNumber: string, familyNameKanji?: string, givenNameKanji?: string) =>
    createPractitioner(prisma, { registrationNumber, familyName: 'Family', givenName: registrationNumber, familyNameKanji, givenNameKanji, birthDate: '1980-01-01' });
  for (const [key, number, fk, gk] of [
    ['admin', 'Q-ADMIN', '管理', '太郎'],
    ['withDevice', 'Q-DEV'],
    ['validCode', 'Q-VALID', '有効', '花子'],
    ['expiredCode', 'Q-EXPIRED'],
    ['noCode', 'Q-NONE'],
    ['usedCode', 'Q-USED'],
  ] as const) {
    ids[key] = (await person(number, fk, gk)).id;
  }
  await prisma.passkeyCredential.create({ data: { id: 'cred-1', practitionerId: ids.withDevice!, publicKey: Buffer.from([1]), transports: [], aaguid: '0', deviceType: 'singleDevice', backedUp: false } });
  await issueRegistrationCode(prisma, ids.validCode!, NOW);
  await issueRegistrationCode(prisma, ids.expiredCode!, addMonths(NOW, -4));
  const used = await issueRegistrationCode(prisma, ids.usedCode!, NOW);
  await prisma.registrationCode.update({ where: { id: used.id }, data: { usedAt: NOW } });

  // Audit entries over three Japan days: 5 Dec 23:30 JST, 6 Dec 00:30 JST, then 60 on 7 Dec.
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    vi.setSystemTime(new Date('2026-12-05T14:30:00Z'));
    await appendAudit(prisma, { event: 'login', result: 'success', method: 'jpki', practitionerId: ids.validCode, clientId: 'ehr' });
    vi.setSystemTime(new Date('2026-12-05T15:30:00Z'));
    await appendAudit(prisma, { event: 'admin.practitioner.lock', result: 'success', practitionerId: ids.admin, details: { targetPractitionerId: ids.expiredCode } });
    vi.setSystemTime(NOW);
    for (let i = 0; i < 60; i++) {
      await appendAudit(prisma, i % 3 === 0 ? { event: 'login', result: 'failure', method: 'hpki-card', errorCode: 'certificate_revoked', practitionerId: ids.withDevice } : { event: 'token.issued', result: 'info', practitionerId: ids.withDevice, details: { i } });
    }
  } finally {
    vi.useRealTimers();
  }
}, 120_000);

afterAll(async () => {
  await opened?.close();
  await database?.drop();
});

const audit = (query: Record<string, string>) => queryAudit(opened.prisma, auditFilterSchema.parse(query));

describe('audit log query', () => {
  it('pages by 50, newest first, and counts the pages', async () => {
    const first = await audit({});
    expect(first.total).toBe(62);
    expect(first.pages).toBe(2);
    expect(first.entries).toHaveLength(AUDIT_PAGE_SIZE);
    const second = await audit({ page: '2' });
    expect(second.entries).toHaveLength(12);
    expect(BigInt(first.entries.at(-1)!.seq)).toBeGreaterThan(BigInt(second.entries[0]!.seq));
  });

  it('combines event, result and method filters', async () => {
    const failed = await audit({ event: 'login', result: 'failure', method: 'hpki-card' });
    expect(failed.total).toBe(20);
    expect(failed.entries.every((e) => e.errorCode === 'certificate_revoked')).toBe(true);
    expect((await audit({ event: 'login', method: 'jpki' })).total).toBe(1);
    expect((await audit({ event: 'admin.' })).total).toBe(1);
    // A group of the console's event menu.
    expect((await audit({ event: '@signIn' })).total).toBe(21);
    expect((await audit({ event: '@admin' })).total).toBe(1);
  });

  it('reads zone-less dates and times as Japan time; "to" includes the whole day or minute', async () => {
    expect((await audit({ from: '2026-12-06', to: '2026-12-06' })).entries.map((e) => e.event)).toEqual(['admin.practitioner.lock']);
    expect((await audit({ to: '2026-12-05' })).entries.map((e) => e.event)).toEqual(['login']);
    expect((await audit({ from: '2026-12-07T11:40' })).total).toBe(60);
    expect((await audit({ to: '2026-12-07T11:40' })).total).toBe(62);
    expect((await audit({ to: '2026-12-07T11:39' })).total).toBe(2);
    // An instant with its zone is taken as it is.
    expect((await audit({ from: '2026-12-05T15:00:00Z' })).total).toBe(61);
  });

  it('names the actor and an admin action\'s target; finds entries about a person by registration number', async () => {
    const about = await audit({ person: 'Q-EXPIRED' });
    expect(about.total).toBe(1);
    const entry = about.entries[0]!;
    expect(entry.targetPractitionerId).toBe(ids.expiredCode);
    expect(about.people[ids.admin!]).toEqual({ registrationNumber: 'Q-ADMIN', name: 'Q-ADMIN Family', nameKanji: '管理 太郎' });
    expect(about.people[ids.expiredCode!]?.registrationNumber).toBe('Q-EXPIRED');
  });

  it('refuses a method it does not know; every event, group and method the console lists is unique and has words in both languages', async () => {
    expect(auditFilterSchema.safeParse({ method: 'password' }).success).toBe(false);
    expect(new Set(AUDIT_EVENTS).size).toBe(AUDIT_EVENTS.length);
    for (const messages of [ja, en]) {
      const admin = messages.admin as unknown as { auditEvent: Record<string, string>; audit: { group: Record<string, string> }; services: { method: Record<string, string> } };
      for (const event of AUDIT_EVENTS) expect(admin.auditEvent[auditEventMessageKey(event)], event).toBeTruthy();
      for (const group of AUDIT_EVENT_GROUPS) expect(admin.audit.group[group.id], group.id).toBeTruthy();
      for (const method of AUDIT_METHODS) expect(admin.services.method[method], method).toBeTruthy();
    }
  });
});

describe('practitioners without a registered device', () => {
  it('lists everyone without a passkey, by registration number, with the state of their latest QR', async () => {
    const { total, practitioners } = await listPractitionersWithoutDevice(opened.prisma, { now: NOW });
    expect(total).toBe(5);
    expect(practitioners.map((p) => [p.registrationNumber, p.registrationCode.state])).toEqual([
      ['Q-ADMIN', 'none'],
      ['Q-EXPIRED', 'expired'],
      ['Q-NONE', 'none'],
      ['Q-USED', 'used'],
      ['Q-VALID', 'valid'],
    ]);
    expect(practitioners.find((p) => p.registrationNumber === 'Q-VALID')?.nameKanji).toBe('有効 花子');
  });

  it('pages', async () => {
    const second = await listPractitionersWithoutDevice(opened.prisma, { now: NOW, page: 2 });
    expect(second.practitioners).toEqual([]);
    expect(second.pages).toBe(1);
  });
});

describe('certificates that expire soon', () => {
  beforeAll(async () => {
    const cert = (fingerprint: string, practitionerId: string, days: number, kind = 'authentication') =>
      opened.prisma.practitionerCertificate.create({
        data: { fingerprint, practitionerId, kind, issuer: 'CN=Test HPKI CA', serialNumber: fingerprint, notBefore: new Date(NOW.getTime() - 400 * DAY), notAfter: new Date(NOW.getTime() + days * DAY) },
      });
    await cert('in-10', ids.validCode!, 10.5);
    await cert('in-45', ids.withDevice!, 45);
    await cert('in-90', ids.noCode!, 90);
    await cert('expired', ids.noCode!, -3);
    // Renewed: the old card expires in 20 days, the new one in three years.
    await cert('old-card', ids.usedCode!, 20);
    await cert('new-card', ids.usedCode!, 1095);
    // The signing certificate of the same person is not renewed: it still counts.
    await cert('signing-30', ids.usedCode!, 30, 'signing');
  });

  it('lists those within 60 days by default, soonest first, without renewed or already expired ones', async () => {
    const days = expiringQuerySchema.parse({}).days;
    expect(days).toBe(60);
    const { certificates } = await listExpiringCertificates(opened.prisma, { days, now: NOW });
    expect(certificates.map((c) => [c.fingerprint, c.daysLeft, c.kind])).toEqual([
      ['in-10', 10, 'authentication'],
      ['signing-30', 30, 'signing'],
      ['in-45', 45, 'authentication'],
    ]);
    expect(certificates[0]!.practitioner).toMatchObject({ registrationNumber: 'Q-VALID', nameKanji: '有効 花子', hasDevice: false });
    expect(certificates[2]!.practitioner.hasDevice).toBe(true);
  });

  it('takes the window from the query string, and falls back to 60 for nonsense', async () => {
    const wide = await listExpiringCertificates(opened.prisma, { days: expiringQuerySchema.parse({ days: '120' }).days, now: NOW });
    expect(wide.certificates.map((c) => c.fingerprint)).toEqual(['in-10', 'signing-30', 'in-45', 'in-90']);
    expect(expiringQuerySchema.parse({ days: 'soon' }).days).toBe(60);
    expect(expiringQuerySchema.parse({ days: '0' }).days).toBe(60);
  });
});
