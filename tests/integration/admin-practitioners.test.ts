import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { importPractitionersCsv } from '../../src/admin/import-practitioners-csv.ts';
import { AdminError } from '../../src/admin/admin-error.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, issuePractitionerCertificate, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { finishAuthorization, hpkiCardLogin, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { consoleUser, type ConsoleUser } from '../support/admin-session.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { issueRegistrationCode, registrationCodeProblem, findRegistrationCode } from '../../src/practitioners/registration-codes.ts';
import { findPortalSession } from '../../src/portal-session/portal-sessions.ts';
import { certificateFingerprint } from '../../src/pki/fingerprint.ts';

/** The console's practitioners: CSV and certificate import, lock, sessions, device, My Number Card, registration QR. */
let t: TestPortal;
let pki: HpkiTestPki;
let admin: ConsoleUser;
let ehr: { id: string; secret: string; redirectUri: string };
let logoutReceiver: http.Server;
const logoutTokens: string[] = [];

beforeAll(async () => {
  t = await startTestPortal('admin-practitioners', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  admin = await consoleUser(t, { admin: true, registrationNumber: 'ADMIN-P' });
  // A linked service with a back-channel logout endpoint, to see that ended sessions are told.
  logoutReceiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => logoutReceiver.listen(0, '127.0.0.1', resolve));
  const port = (logoutReceiver.address() as AddressInfo).port;
  const made = await upsertClient(t.portal.prisma, {
    clientId: 'ehr-bcl',
    name: 'EHR',
    redirectUris: ['http://localhost:9/cb'],
    backchannelLogoutUri: `http://localhost:${port}/backchannel`,
  });
  ehr = { id: 'ehr-bcl', secret: made.clientSecret, redirectUri: 'http://localhost:9/cb' };
}, 60_000);
afterAll(async () => {
  logoutReceiver?.close();
  await t?.close();
});

async function cardLogin(client = ehr) {
  const login = await beginLoginInteraction(t.url, client);
  const { nonce } = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
  const verify = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/verify`, jsonPost({ nonce, token }));
  if (verify.status !== 200) return { status: verify.status, body: await verify.json() };
  const { redirectTo } = await verify.json();
  return { status: 200, tokens: (await finishAuthorization(login.jar, t.url, redirectTo, client, login.verifier)).tokens };
}

/** The card holder logged in to the portal and to the EHR: one portal session, provider sessions with the EHR in them. */
async function holderWithSessions() {
  const portalJar = new CookieJar();
  await hpkiCardLogin(portalJar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
  const login = await cardLogin();
  expect(login.status).toBe(200);
  const holder = await t.portal.prisma.practitionerCertificate.findUniqueOrThrow({ where: { fingerprint: certificateFingerprint(pki.practitioners.valid.certificate) } });
  const sessionId = /portal_session=([^;]+)/.exec(portalJar.header())![1]!;
  return { practitionerId: holder.practitionerId, sessionId, accessToken: login.tokens!.access_token };
}

const userinfo = (accessToken: string) => fetch(`${t.url}/oidc/me`, { headers: { authorization: `Bearer ${accessToken}` } });

describe('CSV import', () => {
  const header = 'registration_number,family_name,given_name,family_name_kanji,given_name_kanji,birth_date,facility,hc_role';

  it('reports every bad row by line number and imports nothing', async () => {
    const before = await t.portal.prisma.practitioner.count();
    const csv = [
      header,
      'CSV-001,Yamada,Taro,山田,太郎,1980-04-01,East Hospital,Medical Doctor',
      'CSV-002,Suzuki,Hanako,鈴木,花子,1985-02-30,East Pharmacy,薬剤師',
      'CSV-003,Sato,Jiro,,,1990-01-01,,Wizard',
      'CSV-001,Tanaka,Ichiro,田中,一郎,1975-07-07,,Dentist',
      'CSV-005,Ito',
      '"CSV-006","Kato, Jr.",Saburo,加藤,三郎,1970-03-03,"West ""Central"" Clinic",Medical Doctor;Director of Clinic',
      'ADMIN-P,Kanri,Admin,,,1970-01-01,,Medical Doctor',
      ',NoNumber,Given,,,1970-01-01,,Nurse',
    ].join('\r\n');
    const res = await admin.call('practitioners/import-csv', { csv, fileName: 'bad.csv' });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe('admin_csv_invalid');
    expect(body.rows.map((r: { line: number }) => r.line)).toEqual([3, 4, 5, 6, 8, 9]);
    const reasons = Object.fromEntries(body.rows.map((r: { line: number; reason: string }) => [r.line, r.reason]));
    expect(reasons[3]).toMatch(/birth_date/);
    expect(reasons[4]).toMatch(/unknown qualification "Wizard"/);
    expect(reasons[5]).toMatch(/repeats line 2/);
    expect(reasons[6]).toMatch(/2 columns, expected 8/);
    expect(reasons[8]).toMatch(/already registered/);
    expect(reasons[9]).toMatch(/registration_number/);
    expect(body.message).toContain('6');
    expect(await t.portal.prisma.practitioner.count()).toBe(before);
    const failure = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.practitioner.import_csv', result: 'failure' } });
    expect(failure.errorCode).toBe('admin_csv_invalid');
  });

  it('refuses a file with the wrong header', async () => {
    const res = await admin.call('practitioners/import-csv', { csv: 'a,b,c\n1,2,3' });
    expect((await res.json()).rows[0]).toMatchObject({ line: 1, reason: expect.stringContaining('header') });
  });

  it('imports a good file completely (quoted fields, Japanese header and qualification names)', async () => {
    const csv = [
      '\uFEFF登録番号,姓（ローマ字）,名（ローマ字）,姓（漢字）,名（漢字）,生年月日,所属,資格',
      'CSV-101,Yamada,Taro,山田,太郎,1980-04-01,East Hospital,医師',
      '"CSV-102","Kato, Jr.",Saburo,加藤,三郎,1970-03-03,"West ""Central"" Clinic",Pharmacist;Director of Pharmacy',
      '',
    ].join('\n');
    const res = await admin.call('practitioners/import-csv', { csv });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ imported: 2 });
    const kato = await t.portal.prisma.practitioner.findUniqueOrThrow({ where: { registrationNumber: 'CSV-102' } });
    expect(kato.familyName).toBe('Kato, Jr.');
    expect(kato.facility).toBe('West "Central" Clinic');
    expect((kato.hcRoles as { role: string }[]).map((r) => r.role)).toEqual(['Pharmacist', 'Director of Pharmacy']);
    const found = await (await admin.call('practitioners?q=山田')).json();
    expect(found.practitioners.map((p: { registrationNumber: string }) => p.registrationNumber)).toContain('CSV-101');
    const byNumber = await (await admin.call('practitioners?q=csv-10')).json();
    expect(byNumber.practitioners).toHaveLength(2);
  });
});

describe('CSV import, concurrently', () => {
  it('the same file imported three times at once: one import succeeds, the others are refused naming the lines — never a database error', async () => {
    const csv = ['registration_number,family_name,given_name,family_name_kanji,given_name_kanji,birth_date,facility,hc_role']
      .concat(Array.from({ length: 40 }, (_, i) => `CSV-C${i},Race,Runner${i},,,1980-04-01,,Medical Doctor`))
      .join('\n');
    // Called directly so all three check for known numbers before any of them inserts: the race.
    const results = await Promise.allSettled([1, 2, 3].map(() => importPractitionersCsv(t.portal.prisma, csv)));
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<unknown>).value)).toEqual([{ imported: 40 }]);
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as AdminError);
    expect(refusals).toHaveLength(2);
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(AdminError);
      expect(refusal.code).toBe('admin_csv_invalid');
      expect(refusal.status).toBe(400);
      expect((refusal.extra.rows as { line: number; reason: string }[])[0]).toEqual({ line: 2, reason: 'registration_number: already registered' });
    }
    expect(await t.portal.prisma.practitioner.count({ where: { registrationNumber: { startsWith: 'CSV-C' } } })).toBe(40);
  });
});

describe('certificate import', () => {
  it('enrols a practitioner from an HPKI certificate file (PEM), with names and hcRole', async () => {
    const cert = await issuePractitionerCertificate({
      issuer: pki.authCa,
      kind: 'authentication',
      hcRoles: [{ role: 'Pharmacist' }],
      practitioner: { romanisedName: 'Hanako Yakushi', kanjiFamilyName: '薬師', kanjiGivenName: '花子', facilityEn: 'EAST PHARMACY', facilityJa: '東薬局', hpkiId: 'Test000777' },
      notBefore: new Date(Date.now() - 86400_000),
      notAfter: new Date(Date.now() + 365 * 86400_000),
    });
    const res = await admin.call('practitioners/import-certificate', { file: Buffer.from(cert.pem).toString('base64'), birthDate: '1988-08-08' });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ created: true, hcRoles: ['Pharmacist'], practitioner: { registrationNumber: 'hpki:Test000777', name: 'Hanako Yakushi' } });
    const p = await t.portal.prisma.practitioner.findUniqueOrThrow({ where: { id: body.practitioner.id }, include: { certificates: true } });
    expect([p.familyNameKanji, p.givenNameKanji, p.birthDate, p.facility]).toEqual(['薬師', '花子', '1988-08-08', 'EAST PHARMACY']);
    expect(p.certificates).toHaveLength(1);
    // DER works too, and a second import updates the same practitioner.
    const again = await admin.call('practitioners/import-certificate', { file: Buffer.from(cert.der).toString('base64') });
    expect(again.status).toBe(200);
    expect((await again.json()).created).toBe(false);
  });

  it('refuses a certificate that does not validate (untrusted issuer, signing certificate, garbage)', async () => {
    for (const file of [pki.practitioners.untrustedIssuer.der, pki.practitioners.signing.der, new TextEncoder().encode('not a certificate')]) {
      const res = await admin.call('practitioners/import-certificate', { file: Buffer.from(file).toString('base64') });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe('admin_certificate_invalid');
    }
  });
});

describe('practitioner actions', () => {
  it('lock ends every session (provider, portal, services told) and prevents login; unlock restores it', async () => {
    const holder = await holderWithSessions();
    expect((await userinfo(holder.accessToken)).status).toBe(200);
    logoutTokens.length = 0;
    const res = await admin.call(`practitioners/${holder.practitionerId}/lock`, {});
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.endedProviderSessions).toBeGreaterThanOrEqual(1);
    expect(body.endedPortalSessions).toBeGreaterThanOrEqual(1);
    expect(body.backchannelLogouts).toEqual(expect.arrayContaining([{ clientId: 'ehr-bcl', ok: true }]));
    expect(logoutTokens.length).toBeGreaterThanOrEqual(1);
    expect(await findPortalSession(t.portal.prisma, holder.sessionId, t.portal.env)).toBeNull();
    expect((await userinfo(holder.accessToken)).status).toBe(401);
    const refused = await cardLogin();
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('practitioner_locked');
    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.practitioner.lock', result: 'success' } });
    expect(audit.practitionerId).toBe(admin.id);
    expect((audit.details as Record<string, unknown>).targetPractitionerId).toBe(holder.practitionerId);

    expect((await admin.call(`practitioners/${holder.practitionerId}/unlock`, {})).status).toBe(200);
    expect((await cardLogin()).status).toBe(200);
  });

  it('an administrator cannot lock themselves', async () => {
    const res = await admin.call(`practitioners/${admin.id}/lock`, {});
    expect(res.status).toBe(409);
    expect((await res.json()).error).toBe('admin_self_lock');
  });

  it('ends all sessions without locking', async () => {
    const holder = await holderWithSessions();
    logoutTokens.length = 0;
    const res = await admin.call(`practitioners/${holder.practitionerId}/end-sessions`, {});
    const body = await res.json();
    expect(body.endedProviderSessions).toBeGreaterThanOrEqual(1);
    expect(logoutTokens.length).toBeGreaterThanOrEqual(1);
    expect(await findPortalSession(t.portal.prisma, holder.sessionId, t.portal.env)).toBeNull();
    expect((await userinfo(holder.accessToken)).status).toBe(401);
    expect((await cardLogin()).status).toBe(200);
  });

  it('removes the registered device, and says so when there is none', async () => {
    const p = await t.portal.prisma.practitioner.findUniqueOrThrow({ where: { registrationNumber: 'CSV-101' } });
    await t.portal.prisma.passkeyCredential.create({
      data: { id: 'cred-csv-101', practitionerId: p.id, publicKey: Buffer.from([1]), transports: [], aaguid: '00000000-0000-0000-0000-000000000000', deviceType: 'multiDevice', backedUp: true },
    });
    const res = await admin.call(`practitioners/${p.id}/remove-device`, {});
    expect(res.status).toBe(200);
    expect((await res.json()).credentialId).toBe('cred-csv-101');
    expect(await t.portal.prisma.passkeyCredential.count({ where: { practitionerId: p.id } })).toBe(0);
    const again = await admin.call(`practitioners/${p.id}/remove-device`, {});
    expect(again.status).toBe(404);
    expect((await again.json()).error).toBe('admin_no_device');
  });

  it('removes the My Number Card link', async () => {
    const p = await t.portal.prisma.practitioner.findUniqueOrThrow({ where: { registrationNumber: 'CSV-101' } });
    await t.portal.prisma.myNumberCardLink.create({ data: { fingerprint: 'f'.repeat(64), practitionerId: p.id, jpkiIssuer: 'CN=JPKI', jpkiSubject: 'S1' } });
    expect((await admin.call(`practitioners/${p.id}/remove-my-number-card`, {})).status).toBe(200);
    expect(await t.portal.prisma.myNumberCardLink.count({ where: { practitionerId: p.id } })).toBe(0);
    expect((await (await admin.call(`practitioners/${p.id}/remove-my-number-card`, {})).json()).error).toBe('admin_no_my_number_card');
  });

  it('reissues the registration QR: a new code with URL, QR image and expiry; the earlier code stops working', async () => {
    const p = await t.portal.prisma.practitioner.findUniqueOrThrow({ where: { registrationNumber: 'CSV-101' } });
    const earlier = await issueRegistrationCode(t.portal.prisma, p.id);
    const res = await admin.call(`practitioners/${p.id}/registration-code`, {});
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.url).toMatch(new RegExp(`^${t.url}/register/[A-Za-z0-9_-]{24}$`));
    expect(body.qrDataUrl).toMatch(/^data:image\/png;base64,/);
    expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 80 * 86400_000);
    expect(registrationCodeProblem(await findRegistrationCode(t.portal.prisma, earlier.code))).toBe('registration_code_superseded');
    expect(registrationCodeProblem(await findRegistrationCode(t.portal.prisma, body.url.split('/').pop()))).toBeNull();
    // The code is never written to the audit log.
    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.practitioner.registration_code' } });
    expect(JSON.stringify(audit.details)).not.toContain(body.url.split('/').pop());
  });

  it('unknown practitioners and malformed ids get codes', async () => {
    expect((await (await admin.call('practitioners/00000000-0000-4000-8000-000000000000/unlock', {})).json()).error).toBe('admin_practitioner_not_found');
    expect((await admin.call('practitioners/not-a-uuid/lock', {})).status).toBe(404);
    expect((await admin.call(`practitioners/${admin.id}/lock`, { extra: 1 })).status).toBe(400);
  });
});
