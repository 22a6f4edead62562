import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { test, expect, type Page } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import { addVirtualAuthenticator } from './support/virtual-authenticator.ts';
import { registerPasskey } from './support/register-passkey.ts';
import { expectAccessible, watchConsole } from './support/page-checks.ts';

/**
 * Issue 17 in the console and on the home page: notices (point 8), expiry notices (point 4), the
 * second certificate's lifecycle (point 3) and the administrator's My Number Card link (point 1;
 * here only the card bridge's wrong-card answer — the successful link is in
 * tests/integration/admin-notices-expiry.test.ts with a bridge token).
 */
const PORTAL_PORT = 4350;
const SHOTS = '/work/shots/notices';
const DAY = 86_400_000;
const root = path.resolve(import.meta.dirname, '../..');

let database: TestDatabase;
let scenario: Scenario;
let portal: PortalProcess;
let admin: Page;
let errors: string[];
let targetId: string;

test.describe.configure({ mode: 'serial' });

/**
 * The HPKI test card's page script (the test extension: it answers a request for the My Number
 * Card with the bridge's wrong-card error) and signing certificates expiring in 20 and 300 days —
 * made in a tsx child process, as my-number-card.spec.ts does (the ASN.1 schemas' decorators).
 */
async function makeCardAndCertificates(origin: string) {
  const script = `
    const { pathToFileURL } = await import('node:url');
    const at = (file) => pathToFileURL(${JSON.stringify(root)} + '/' + file).href;
    const { createHpkiTestPki, issuePractitionerCertificate } = await import(at('src/pki/test-pki/index.ts'));
    const { softwareCardScript } = await import(at('src/demo/software-card-script.ts'));
    const hpki = await createHpkiTestPki();
    const b64 = (bytes) => Buffer.from(bytes).toString('base64');
    const valid = hpki.practitioners.valid;
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', valid.keys.privateKey));
    const hpkiCard = softwareCardScript({ certificateDer: b64(valid.der), privateKeyPkcs8: b64(pkcs8), keyAlgorithm: 'RSA', format: 'web-eid:1', origin: process.env.SEED_ORIGIN });
    const now = Date.now();
    const signing = async (days) => b64((await issuePractitionerCertificate({ issuer: hpki.signCa, kind: 'signing', notBefore: new Date(now - 86400000), notAfter: new Date(now + days * 86400000) })).der);
    process.stdout.write('\\nTEST-SCRIPTS ' + JSON.stringify({ hpkiCard, soon: await signing(20), later: await signing(300) }) + '\\n');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, SEED_ORIGIN: origin }, maxBuffer: 32 * 1024 * 1024 });
  const line = stdout.split('\n').find((l) => l.startsWith('TEST-SCRIPTS '));
  if (!line) throw new Error(`the test certificates were not made:\n${stdout}`);
  return JSON.parse(line.slice('TEST-SCRIPTS '.length)) as { hpkiCard: string; soon: string; later: string };
}

async function shot(page: Page, name: string) {
  if (!fs.existsSync(SHOTS)) return;
  await page.screenshot({ path: `${SHOTS}/${name}-after-${page.viewportSize()!.width}.png`, fullPage: true });
}

test.beforeAll(async ({ browser }) => {
  database = await createTestDatabase('e2e-console-notices');
  scenario = await seedScenario(database.url, 'http://localhost:4351');
  const made = await makeCardAndCertificates(`http://localhost:${PORTAL_PORT}`);
  const db = await openDatabase({ url: database.url, migrate: true });
  const prisma = db.prisma;
  await prisma.practitioner.update({ where: { id: scenario.doctor.id }, data: { isAdmin: true } });
  const credential = (id: string, practitionerId: string, der: string) =>
    prisma.signingCredential.create({
      data: { id, practitionerId, ownerId: practitionerId, keyStore: 'software', keyRef: `missing-${id}`, keyAlgorithm: 'RSA-2048', publicKeySpki: Buffer.from([0]), certificate: Buffer.from(der, 'base64'), status: 'active' },
    });
  // The administrator's own certificates run out soon: the home page warns about each one.
  await prisma.practitionerCertificate.create({
    data: { fingerprint: 'fp-home-auth', practitionerId: scenario.doctor.id, kind: 'authentication', issuer: 'CN=HPKI-01-MedCA-ForAuthentication TEST', serialNumber: '0a', notBefore: new Date(Date.now() - 365 * DAY), notAfter: new Date(Date.now() + 10 * DAY) },
  });
  await credential('cred-home', scenario.doctor.id, made.soon);
  await prisma.myNumberCardLink.create({ data: { fingerprint: 'fp-home-mnc', practitionerId: scenario.doctor.id, jpkiIssuer: 'CN=JPKI TEST', jpkiSubject: 'HOME', notAfter: new Date(Date.now() + 30 * DAY) } });
  // The practitioner whose second certificate the administrator manages.
  const target = await createPractitioner(prisma, { registrationNumber: 'E2E-MD-8', familyName: 'Kanda', givenName: 'Hanako', familyNameKanji: '神田', givenNameKanji: '花子', birthDate: '1979-09-09', hcRoles: [] });
  targetId = target.id;
  await credential('cred-target', target.id, made.later);
  await db.close();
  portal = new PortalProcess(PORTAL_PORT, database.url);
  await portal.start();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript({ content: made.hpkiCard });
  admin = await context.newPage();
  await addVirtualAuthenticator(context, admin);
  await registerPasskey(admin, `${portal.url}/register/${scenario.doctor.codes.fresh}`, scenario.doctor.birthPassword);
  await admin.goto(`${portal.url}/admin`);
  await admin.getByTestId('passkey-login').click();
  await expect(admin.getByTestId('admin-home')).toBeVisible();
  errors = watchConsole(admin);
  // Every moment the document is left without a <title> (axe's document-title, caught by CI once in
  // the few ms a client-side navigation used to leave between removing the old title and adding the new).
  await admin.addInitScript(() => {
    const untitled: string[] = ((window as unknown as { untitled: string[] }).untitled = []);
    new MutationObserver(() => {
      if (document.readyState !== 'loading' && !document.querySelector('title')) untitled.push(location.href);
    }).observe(document, { subtree: true, childList: true });
  });
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus && portal) await testInfo.attach('portal.log', { body: portal.log, contentType: 'text/plain' });
});

test.afterAll(async () => {
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

async function visit(path: string) {
  await admin.goto(`${portal.url}${path}`);
  await admin.waitForLoadState('networkidle');
  await expectAccessible(admin);
}

const japanLocal = (offset: number) => new Date(Date.now() + offset + 9 * 3_600_000).toISOString().slice(0, 16);

/** The console errors of a test, less the one refusal (400) the test provokes on purpose. */
const unexpected = () => errors.splice(0).filter((e) => !/the server responded with a status of 400/.test(e));

test('notices: written in the console, shown on the home page to their audience, as plain text', async ({ checks }) => {
  // Expected 400: an end before the start is refused.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 400/);
  await visit('/admin/notices');
  await expect(admin.getByTestId('notices-none')).toBeVisible();
  await shot(admin, 'admin-notices-empty');
  const form = admin.getByTestId('notice-form');
  await form.getByTestId('notice-title').fill('システムメンテナンスのお知らせ');
  await form.getByTestId('notice-body').fill('12月8日 2:00〜4:00 は停止します。\n<b>この間はHPKIカードでログインできません。</b>');
  await form.getByTestId('notice-save').click();
  await expect(admin.getByTestId('notice-created')).toBeVisible();
  await expectAccessible(admin);
  // The save navigated client-side (router.push): the title stayed throughout.
  expect(await admin.evaluate(() => (window as unknown as { untitled: string[] }).untitled)).toEqual([]);
  expect(await admin.title()).toBe('HPKI SSO ポータル');
  // One for pharmacists only, one that has not started: neither is shown to this doctor.
  await admin.getByTestId('notice-title').fill('薬剤師の皆さまへ');
  await admin.getByTestId('notice-body').fill('調剤結果の署名について');
  await admin.getByTestId('notice-audience-role').check();
  await admin.getByTestId('notice-role').selectOption('Pharmacist');
  await admin.getByTestId('notice-save').click();
  await expect(admin.getByTestId('notice-row')).toHaveCount(2);
  await admin.getByTestId('notice-title').fill('来月の予定');
  await admin.getByTestId('notice-body').fill('まだ表示されません');
  await admin.getByTestId('notice-starts').fill(japanLocal(5 * DAY));
  await admin.getByTestId('notice-ends').fill(japanLocal(9 * DAY));
  await admin.getByTestId('notice-save').click();
  await expect(admin.getByTestId('notice-row')).toHaveCount(3);
  await expect(admin.getByTestId('notice-state')).toHaveText(['掲載予定', '掲載中', '掲載中']);
  // An end before the start: refused, the error beside the form.
  await admin.getByTestId('notice-title').fill('逆');
  await admin.getByTestId('notice-body').fill('x');
  await admin.getByTestId('notice-starts').fill(japanLocal(2 * DAY));
  await admin.getByTestId('notice-ends').fill(japanLocal(DAY));
  await admin.getByTestId('notice-save').click();
  await expect(admin.getByTestId('notice-form').getByTestId('error-code')).toHaveText('admin_input_invalid');
  await shot(admin, 'admin-notices');

  await visit('/');
  const notices = admin.getByTestId('home-notice');
  await expect(notices).toHaveCount(1);
  await expect(notices).toContainText('システムメンテナンスのお知らせ');
  // The text as written: the tag is shown, not interpreted, and the line break kept.
  const body = notices.locator('p');
  expect(await body.evaluate((el) => [el.textContent, getComputedStyle(el).whiteSpace])).toEqual(['12月8日 2:00〜4:00 は停止します。\n<b>この間はHPKIカードでログインできません。</b>', 'pre-line']);
  await expect(notices.locator('b')).toHaveCount(0);
  await shot(admin, 'home');
  expect(unexpected()).toEqual([]);
});

test('a notice is edited and deleted', async () => {
  await visit('/admin/notices');
  await admin.getByTestId('notice-edit-link').filter({ hasText: 'システムメンテナンス' }).click();
  await expect(admin.getByTestId('admin-notice-edit')).toBeVisible();
  await expectAccessible(admin);
  await admin.getByTestId('notice-title').fill('メンテナンス（延長）');
  await admin.getByTestId('notice-save').click();
  await expect(admin.getByTestId('notice-saved')).toBeVisible();
  await admin.once('dialog', (d) => void d.accept());
  await admin.getByTestId('notice-delete').click();
  await expect(admin.getByTestId('notice-deleted')).toBeVisible();
  await expect(admin.getByTestId('notice-row')).toHaveCount(2);
  await expectAccessible(admin);
  expect(unexpected()).toEqual([]);
});

test('expiry notices: the home page says what expires when and what to do; the console lists them', async () => {
  await visit('/');
  const expiry = admin.getByTestId('expiry-notice');
  await expect(expiry).toHaveCount(3);
  await expect(expiry.nth(0)).toHaveAttribute('data-kind', 'authentication');
  await expect(expiry.nth(0)).toContainText('発行元の認証局にカードの更新を申請してください');
  await expect(expiry.nth(1)).toHaveAttribute('data-kind', 'second');
  await expect(expiry.nth(1)).toContainText('SSOセンター');
  await expect(expiry.nth(2)).toHaveAttribute('data-kind', 'mnc');
  await expect(expiry.nth(2)).toContainText('市区町村の窓口');
  await expect(expiry.nth(2).getByRole('link')).toHaveAttribute('href', '/my-number-card');
  await expect(expiry.nth(0)).toContainText(/\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} \(JST\)/);
  await admin.setViewportSize({ width: 390, height: 844 });
  await shot(admin, 'home');
  await admin.setViewportSize({ width: 1280, height: 800 });

  await visit('/admin/practitioners?view=expiring&days=60');
  const rows = admin.getByTestId('expiring-row');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1)).toContainText('セカンド電子証明書');
  await expect(rows.nth(2)).toContainText('マイナンバーカード');
  await shot(admin, 'admin-expiring');
  expect(unexpected()).toEqual([]);
});

test('the second certificate in the console: revoke, renew with the public key for the CA, a refused certificate, destroy the keys', async ({ checks }) => {
  // Expected 400: a file that is not the certificate for the waiting key.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 400/);
  await visit(`/admin/practitioners/${targetId}`);
  const section = admin.getByTestId('second-certificate');
  const row = section.getByTestId('second-cert-row');
  await expect(row).toHaveAttribute('data-status', 'active');
  await expect(row).toHaveAttribute('data-current', 'true');
  await expect(row).toContainText('(JST)');
  await shot(admin, 'admin-practitioner');

  admin.once('dialog', (d) => void d.accept());
  await section.getByTestId('second-cert-revoke').click();
  await expect(section.getByTestId('second-cert-done')).toBeVisible();
  await expect(section.getByTestId('second-cert-row').first()).toHaveAttribute('data-status', 'revoked');

  await section.getByTestId('second-cert-renew').click();
  const publicKey = section.getByTestId('second-cert-public-key');
  await expect(publicKey).toContainText('-----BEGIN PUBLIC KEY-----');
  await expect(section.getByTestId('second-cert-public-key-download')).toHaveAttribute('download', /\.pem$/);
  await expect(section.getByTestId('second-cert-row')).toHaveCount(2);
  await expectAccessible(admin);

  // Not a certificate for the waiting key: refused, the code beside the upload.
  await section.getByTestId('second-cert-file').setInputFiles({ name: 'wrong.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from('not a certificate') });
  await section.getByTestId('second-cert-attach').click();
  await expect(section.getByTestId('error-code')).toBeVisible();
  await expectAccessible(admin);

  // Destroying asks for the word typed out.
  admin.once('dialog', (d) => void d.accept('廃棄'));
  await section.getByTestId('second-cert-destroy').click();
  await expect(section.getByTestId('key-destroyed')).toHaveCount(2);
  await shot(admin, 'admin-practitioner-lifecycle');
  // Each step is in the audit log under its own words.
  await visit('/admin/audit?event=admin.');
  await expect(admin.getByTestId('audit-event-label').filter({ hasText: 'セカンド電子証明書の失効' })).toHaveCount(1);
  await expect(admin.getByTestId('audit-event-label').filter({ hasText: 'セカンド電子証明書の鍵の廃棄' })).toHaveCount(1);
  expect(unexpected()).toEqual([]);
});

test('linking a My Number Card after an in-person check: an HPKI card in the reader is named, nothing linked', async () => {
  await visit(`/admin/practitioners/${targetId}`);
  const form = admin.getByTestId('admin-mnc-link');
  await expect(form.getByTestId('mnc-admin-link')).toBeDisabled();
  await form.getByTestId('mnc-in-person').check();
  await form.getByTestId('mnc-checked-by').fill('受付 佐藤');
  await form.getByTestId('mnc-admin-link').click();
  const failure = form.getByTestId('mnc-admin-failure');
  await expect(failure.getByTestId('error-code')).toHaveText('card_wrong_type_hpki');
  await expect(admin.getByTestId('admin-mnc-state')).toContainText('マイナンバーカード未連携');
  await expectAccessible(admin);
  await shot(admin, 'admin-mnc-link');
  expect(unexpected()).toEqual([]);
});
