import fs from 'node:fs';
import { test, expect, type Page } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { appendAudit } from '../../src/audit/audit-log.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import { addVirtualAuthenticator } from './support/virtual-authenticator.ts';
import { registerPasskey } from './support/register-passkey.ts';
import { expectAccessible } from './support/page-checks.ts';

/** The console's tables at 1280 px (issue 16, points 13 and 14): the audit log, practitioners without a device, expiring certificates. */
const PORTAL_PORT = 4275;
const SHOTS = process.env.ADMIN_SHOTS_DIR ?? '/work/shots/admin';
const SHOT_TAG = process.env.ADMIN_SHOTS_TAG ?? 'after';
const DAY = 86_400_000;

let database: TestDatabase;
let scenario: Scenario;
let portal: PortalProcess;
let admin: Page;

test.describe.configure({ mode: 'serial' });

async function shot(page: Page, name: string) {
  if (!fs.existsSync(SHOTS)) return;
  await page.screenshot({ path: `${SHOTS}/${name}-${SHOT_TAG}-${page.viewportSize()!.width}.png` });
}

test.beforeAll(async ({ browser }) => {
  database = await createTestDatabase('e2e-admin-tables');
  scenario = await seedScenario(database.url, 'http://localhost:4276');
  const db = await openDatabase({ url: database.url, migrate: true });
  const prisma = db.prisma;
  await prisma.practitioner.update({ where: { id: scenario.doctor.id }, data: { isAdmin: true } });
  // A nurse with a device, two doctors without; certificates expiring in 10, 45 and 200 days.
  const nurse = await createPractitioner(prisma, { registrationNumber: 'E2E-NS-5', familyName: 'Hoshino', givenName: 'Aoi', familyNameKanji: '星野', givenNameKanji: '葵', birthDate: '1990-03-03', hcRoles: [] });
  await prisma.passkeyCredential.create({ data: { id: 'nurse-passkey', practitionerId: nurse.id, publicKey: Buffer.from([1]), transports: [], aaguid: '00000000-0000-0000-0000-000000000000', deviceType: 'multiDevice', backedUp: true } });
  const soon = await createPractitioner(prisma, { registrationNumber: 'E2E-MD-6', familyName: 'Kirishima', givenName: 'Ren', familyNameKanji: '霧島', givenNameKanji: '蓮', birthDate: '1982-06-06', hcRoles: [] });
  const later = await createPractitioner(prisma, { registrationNumber: 'E2E-MD-7', familyName: 'Asahina', givenName: 'Mio', familyNameKanji: '朝比奈', givenNameKanji: '澪', birthDate: '1984-07-07', hcRoles: [] });
  const cert = (practitionerId: string, serial: string, days: number) =>
    prisma.practitionerCertificate.create({
      data: { fingerprint: `fp-${serial}`, practitionerId, kind: 'authentication', issuer: 'CN=HPKI-01-MedCA-ForAuthentication TEST', serialNumber: serial, notBefore: new Date(Date.now() - 365 * DAY), notAfter: new Date(Date.now() + days * DAY) },
    });
  await cert(soon.id, '0a', 10);
  await cert(nurse.id, '0b', 45);
  await cert(later.id, '0c', 200);
  // 120 entries: 60 logins, then 60 of the kinds a day at a hospital produces, with long details
  // (the newest 50 are the page measured before the change).
  for (let i = 0; i < 60; i++) {
    await appendAudit(prisma, i % 2 ? { event: 'login', result: 'success', method: 'jpki', practitionerId: later.id, clientId: scenario.clientId } : { event: 'login', result: 'failure', method: 'hpki-card', practitionerId: soon.id, clientId: scenario.clientId, errorCode: 'certificate_expired' });
  }
  for (let i = 0; i < 60; i++) {
    const kind = i % 4;
    if (kind === 0) await appendAudit(prisma, { event: 'login', result: 'success', method: 'passkey', practitionerId: scenario.doctor.id, clientId: scenario.clientId, ip: '192.0.2.10', details: { acr: 'urn:hpki-sso:acr:passkey', amr: ['hwk', 'user'], note: `entry ${i}` } });
    if (kind === 1) await appendAudit(prisma, { event: 'login', result: 'failure', method: 'hpki-card', practitionerId: soon.id, clientId: scenario.clientId, ip: '192.0.2.11', errorCode: 'certificate_revoked', details: { certificate: { issuer: 'CN=HPKI-01-MedCA-ForAuthentication TEST', serialNumber: `0a${i}`, fingerprint: 'f'.repeat(64) } } });
    if (kind === 2) await appendAudit(prisma, { event: 'admin.practitioner.lock', result: 'success', practitionerId: scenario.doctor.id, ip: '192.0.2.12', details: { targetPractitionerId: later.id, details: { changed: true, provider: 0, portal: 1 } } });
    if (kind === 3) await appendAudit(prisma, { event: 'token.issued', result: 'info', practitionerId: later.id, clientId: scenario.clientId, details: { grantId: `grant-${i}-${'x'.repeat(40)}`, scope: 'openid profile hcRole' } });
  }
  await db.close();
  portal = new PortalProcess(PORTAL_PORT, database.url);
  await portal.start();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  admin = await context.newPage();
  admin.on('dialog', (dialog) => void dialog.accept());
  await addVirtualAuthenticator(context, admin);
  await registerPasskey(admin, `${portal.url}/register/${scenario.doctor.codes.fresh}`, scenario.doctor.birthPassword);
  await admin.goto(`${portal.url}/admin`);
  await admin.getByTestId('passkey-login').click();
  await expect(admin.getByTestId('admin-home')).toBeVisible();
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus && portal) await testInfo.attach('portal.log', { body: portal.log, contentType: 'text/plain' });
});

test.afterAll(async () => {
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

const japanToday = () => new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);
const JST_TIME = /^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} \(JST\)$/;

async function visit(path: string) {
  await admin.goto(`${portal.url}${path}`);
  // Client components (the details toggles) must be hydrated before they are used.
  await admin.waitForLoadState('networkidle');
  await expectAccessible(admin);
}

test('the audit log: one line per entry at 1280 px, events and results in words, details open under the row', async () => {
  await visit('/admin/audit');
  const rows = admin.getByTestId('audit-row');
  await expect(rows).toHaveCount(50);
  // One line each: no row is taller than two short lines (actor and an action's target).
  const heights = await rows.evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height));
  expect(Math.max(...heights)).toBeLessThan(64);
  // The table fills the wide screen instead of the page's narrow column.
  expect((await admin.getByTestId('audit-table').boundingBox())!.width).toBeGreaterThan(1100);
  expect(await admin.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);

  const failure = rows.filter({ hasText: '失敗' }).first();
  await expect(failure.getByTestId('audit-event-label')).toHaveText('サービスへのログイン');
  await expect(failure.getByTestId('audit-method-label')).toHaveText('HPKIカード');
  await expect(failure).toContainText('霧島 蓮 (E2E-MD-6)');
  expect(await failure.locator('time').innerText()).toMatch(JST_TIME);
  await expect(rows.filter({ hasText: '管理：利用者の停止' }).first()).toContainText('対象：朝比奈 澪 (E2E-MD-7)');

  // The codes are the detail, under the row, across the whole width.
  const seq = await failure.getAttribute('data-seq');
  const details = admin.locator(`#audit-details-${seq}`);
  await expect(details).toBeHidden();
  const toggle = failure.getByTestId('audit-details-toggle');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(details).toBeVisible();
  await expect(details).toContainText('login');
  await expect(details).toContainText('hpki-card');
  await expect(details).toContainText('certificate_revoked');
  await expect(details.getByTestId('audit-details-data')).toContainText('"serialNumber"');
  expect((await details.boundingBox())!.width).toBeGreaterThan(1100);
  await expectAccessible(admin);
  await toggle.click();
  await expect(details).toBeHidden();
});

test('the audit filters are query parameters, and paging keeps them', async () => {
  await visit('/admin/audit');
  await admin.getByTestId('audit-event').selectOption('login');
  await admin.getByTestId('audit-from').fill(japanToday());
  await admin.getByTestId('audit-filter').click();
  await expect(admin).toHaveURL(/[?&]event=login(&|$)/);
  await expect(admin).toHaveURL(new RegExp(`[?&]from=${japanToday()}(&|$)`));
  await expectAccessible(admin);
  await expect(admin.getByTestId('audit-total')).toContainText('1 / 2');
  await admin.getByTestId('audit-page-2').click();
  await expect(admin).toHaveURL(/[?&]page=2(&|$)/);
  const url = new URL(admin.url());
  expect(url.searchParams.get('event')).toBe('login');
  expect(url.searchParams.get('from')).toBe(japanToday());
  await expect(admin.getByTestId('audit-event')).toHaveValue('login');
  const labels = await admin.getByTestId('audit-event-label').allInnerTexts();
  expect(labels.length).toBeGreaterThan(0);
  expect(new Set(labels)).toEqual(new Set(['サービスへのログイン']));
  await expect(admin.getByTestId('audit-previous')).toBeVisible();
  await expectAccessible(admin);

  // Result and method too; the export link carries the same filter.
  await visit('/admin/audit?event=login&result=failure&method=hpki-card');
  await expect(admin.getByTestId('audit-row')).toHaveCount(45);
  await expect(admin.getByTestId('audit-total')).toContainText('全 45 件中 1〜45 件目');
  await expect(admin.getByTestId('audit-pages')).toHaveCount(0);
  await expect(admin.getByTestId('audit-result')).toHaveValue('failure');
  await expect(admin.getByTestId('audit-method')).toHaveValue('hpki-card');
  await expect(admin.getByTestId('audit-export')).toHaveAttribute('href', '/api/admin/audit/export.csv?event=login&result=failure&method=hpki-card');
  // A day in Japan time: nothing happened yesterday.
  const yesterday = new Date(Date.now() + 9 * 3_600_000 - 86_400_000).toISOString().slice(0, 10);
  await visit(`/admin/audit?to=${yesterday}`);
  await expect(admin.getByTestId('audit-row')).toHaveCount(0);
  await expect(admin.getByTestId('audit-total')).toHaveText('条件に合う記録はありません。');
});

test('practitioners without a registered phone: a view of the practitioners page, with the state of their QR', async () => {
  await visit('/admin/practitioners');
  await admin.getByTestId('practitioner-view-no-device').click();
  await expect(admin).toHaveURL(/\/admin\/practitioners\?view=no-device$/);
  await expectAccessible(admin);
  const view = admin.getByTestId('admin-no-device');
  await expect(view.getByTestId('no-device-E2E-MD-6')).toContainText('霧島 蓮');
  await expect(view.getByTestId('no-device-E2E-MD-6')).toHaveAttribute('data-code-state', 'none');
  await expect(view.getByTestId('no-device-E2E-EXP-4')).toHaveAttribute('data-code-state', 'expired');
  await expect(view.getByTestId('no-device-E2E-PH-2')).toHaveAttribute('data-code-state', 'valid');
  await expect(view.getByTestId('no-device-E2E-PH-2')).toContainText(/有効（\d{4}年\d{1,2}月\d{1,2}日 まで）/);
  // The doctor registered a phone in this test, the nurse has one.
  await expect(view.getByTestId('no-device-E2E-MD-1')).toHaveCount(0);
  await expect(view.getByTestId('no-device-E2E-NS-5')).toHaveCount(0);
  await expect(view.getByTestId('no-device-total')).toHaveText('5 人');
  await view.getByTestId('no-device-E2E-MD-6').getByRole('link', { name: /^QRコードを発行\s*（霧島 蓮 さん）$/ }).click();
  await expect(admin.getByTestId('admin-registration')).toBeVisible();
});

test('HPKI certificates that expire within 60 days (or the days in the URL), soonest first; the home page points to both views', async () => {
  await visit('/admin');
  await expect(admin.getByTestId('home-no-device')).toHaveText('スマートフォン未登録 5 人');
  await expect(admin.getByTestId('home-expiring')).toHaveText('60日以内に期限が切れる証明書 2 件');
  await admin.getByTestId('home-expiring').click();
  await expect(admin).toHaveURL(/view=expiring/);
  await expectAccessible(admin);
  const rows = admin.getByTestId('expiring-row');
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-registration-number')))).toEqual(['E2E-MD-6', 'E2E-NS-5']);
  await expect(rows.first()).toContainText('霧島 蓮');
  await expect(rows.first()).toContainText('未登録');
  await expect(rows.nth(1)).toContainText('登録済み');
  await expect(admin.getByTestId('expiring-days')).toHaveValue('60');

  await admin.getByTestId('expiring-days').fill('365');
  await admin.getByTestId('expiring-show').click();
  await expect(admin).toHaveURL(/[?&]days=365(&|$)/);
  await expectAccessible(admin);
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-registration-number')))).toEqual(['E2E-MD-6', 'E2E-NS-5', 'E2E-MD-7']);
  await visit('/admin/practitioners?view=expiring&days=5');
  await expect(admin.getByTestId('expiring-none')).toHaveText('5 日以内に期限が切れる証明書はありません。');
});

test('screens at 1280 and 390 px in both languages; the audit page height with 50 rows', async () => {
  await visit('/admin/audit');
  const height = await admin.evaluate(() => document.body.scrollHeight);
  // 50 entries of one line each: about a fifth of the 10,527 px page the issue measured.
  expect(height).toBeLessThan(4000);
  if (fs.existsSync(SHOTS)) fs.writeFileSync(`${SHOTS}/audit-height-${SHOT_TAG}.json`, `${JSON.stringify({ rows: 50, scrollHeight: height, viewport: '1280x800' })}\n`);
  await shot(admin, 'audit');
  await visit('/admin/practitioners?view=no-device');
  await shot(admin, 'practitioners-no-device');
  await visit('/admin/practitioners?view=expiring&days=365');
  await shot(admin, 'practitioners-expiring');
  await visit('/admin/practitioners?q=E2E');
  await shot(admin, 'practitioners');
  await admin.context().addCookies([{ name: 'lang', value: 'en', url: portal.url }]);
  await visit('/admin/audit');
  await expect(admin.getByTestId('audit-row').first().locator('time')).toHaveText(/^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} \(JST\)$/);
  await admin.getByTestId('audit-details-toggle').nth(2).click();
  await shot(admin, 'audit-en');
  await visit('/admin/practitioners?view=no-device');
  await shot(admin, 'practitioners-no-device-en');
  await visit('/admin/practitioners?view=expiring&days=365');
  await shot(admin, 'practitioners-expiring-en');
  await visit('/admin/practitioners?q=E2E');
  await shot(admin, 'practitioners-en');
  await admin.setViewportSize({ width: 390, height: 844 });
  for (const [path, name] of [
    ['/admin/audit', 'audit-en'],
    ['/admin/practitioners?view=expiring&days=365', 'practitioners-expiring-en'],
    ['/admin/practitioners?view=no-device', 'practitioners-no-device-en'],
  ] as const) {
    await visit(path);
    await shot(admin, name);
  }
  await admin.context().clearCookies({ name: 'lang' });
  await admin.setViewportSize({ width: 1280, height: 800 });
});
