import { test, expect, type Browser, type Page } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { startSampleRelyingParty, type SampleRp } from '../../src/demo/sample-relying-party.ts';
import { addVirtualAuthenticator } from './support/virtual-authenticator.ts';
import { registerPasskey } from './support/register-passkey.ts';

const PORTAL_PORT = 4270;
const SCENARIO_RP_PORT = 4271;
const CONSOLE_RP_PORT = 4272;
const DOCTORS_RP_PORT = 4273;

let database: TestDatabase;
let scenario: Scenario;
let portal: PortalProcess;
let admin: Page;
const rps: SampleRp[] = [];
let consoleRp: SampleRp;

test.describe.configure({ mode: 'serial' });

/** A practitioner's browser: registers the passkey through their registration code. */
async function practitionerPage(browser: Browser, code: string, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  await addVirtualAuthenticator(context, page);
  await registerPasskey(page, `${portal.url}/register/${code}`, password);
  return page;
}

/** Creates a service in the console and returns the secret it shows once. */
async function createServiceInConsole(page: Page, clientId: string, name: string, rpPort: number, roles: string[] = []) {
  await page.goto(`${portal.url}/admin/services`);
  await page.getByTestId('service-new').click();
  // The form is a client component: typing before React hydrates it would be lost.
  await page.waitForLoadState('networkidle');
  await page.getByTestId('service-client-id').fill(clientId);
  await page.getByTestId('service-name').fill(name);
  await page.getByTestId('service-redirect-uris').fill(`http://localhost:${rpPort}/callback`);
  await page.getByTestId('service-post-logout-uris').fill(`http://localhost:${rpPort}/`);
  await page.getByTestId('service-backchannel-uri').fill(`http://localhost:${rpPort}/backchannel-logout`);
  // oidc-provider wants an https initiate_login_uri: the launch link of the home page.
  await page.getByTestId('service-initiate-uri').fill(`https://ehr-${clientId}.example/launch`);
  for (const role of roles) await page.getByTestId(`service-role-${role.replaceAll(' ', '-')}`).check();
  await expect(page.getByTestId('service-client-id')).toHaveValue(clientId);
  await page.getByTestId('service-save').click();
  await expect(page.getByTestId('secret-once')).toBeVisible();
  await expect(page.getByTestId('secret-client-id')).toHaveText(clientId);
  return (await page.getByTestId('secret-value').innerText()).trim();
}

async function rpLogin(page: Page, rp: SampleRp) {
  await page.goto(rp.url);
  await page.getByTestId('rp-login').click();
  // With a provider session already open (SSO), the login page is skipped.
  const login = page.getByTestId('passkey-login');
  const consent = page.getByTestId('consent-approve');
  const status = page.getByTestId('rp-status');
  await expect(login.or(consent).or(status)).toBeVisible();
  if (await login.isVisible()) await login.click();
  await expect(consent.or(status)).toBeVisible();
  if (await consent.isVisible()) await consent.click();
  await expect(status).toHaveText('logged-in');
  return JSON.parse(await page.getByTestId('id-token-claims').innerText()) as Record<string, unknown>;
}

test.beforeAll(async ({ browser }) => {
  database = await createTestDatabase('e2e-admin');
  scenario = await seedScenario(database.url, `http://localhost:${SCENARIO_RP_PORT}`);
  // The seeded doctor is this scenario's administrator.
  const db = await openDatabase({ url: database.url, migrate: true });
  await db.prisma.practitioner.update({ where: { id: scenario.doctor.id }, data: { isAdmin: true } });
  await db.close();
  portal = new PortalProcess(PORTAL_PORT, database.url);
  await portal.start();
  rps.push(await startSampleRelyingParty({ issuer: `${portal.url}/oidc`, clientId: scenario.clientId, clientSecret: scenario.clientSecret, port: SCENARIO_RP_PORT }));
  admin = await practitionerPage(browser, scenario.doctor.codes.fresh, scenario.doctor.birthPassword);
  await admin.goto(`${portal.url}/admin`);
  // Not logged in yet: the console sends the administrator through the portal login and back.
  await admin.getByTestId('passkey-login').click();
  await expect(admin.getByTestId('admin-home')).toBeVisible();
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus && portal) await testInfo.attach('portal.log', { body: portal.log, contentType: 'text/plain' });
});

test.afterAll(async () => {
  for (const rp of rps) await rp.close();
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

test('an administrator creates a service in the console; openid-client logs in to it with the secret shown once', async () => {
  const secret = await createServiceInConsole(admin, 'e2e-console', 'コンソール登録ネットワーク', CONSOLE_RP_PORT);
  // Shown once: the service page does not show it again.
  await admin.getByTestId('service-open').click();
  await expect(admin.getByTestId('admin-service-client-id')).toHaveText('e2e-console');
  expect(await admin.content()).not.toContain(secret);

  consoleRp = await startSampleRelyingParty({ issuer: `${portal.url}/oidc`, clientId: 'e2e-console', clientSecret: secret, port: CONSOLE_RP_PORT });
  rps.push(consoleRp);
  const claims = await rpLogin(admin, consoleRp);
  expect(claims.aud).toBe('e2e-console');
  expect(claims['name#ja-Hani-JP']).toBe('神楽坂 三十四');
  expect(claims.linked_account).toBeUndefined();
});

test('a service that allows only "Medical Doctor" refuses the pharmacist with a page naming the qualification', async ({ browser, checks }) => {
  // Expected 4xx: the refusal is the point.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const secret = await createServiceInConsole(admin, 'e2e-doctors', '医師専用ネットワーク', DOCTORS_RP_PORT, ['Medical Doctor']);
  const doctorsRp = await startSampleRelyingParty({ issuer: `${portal.url}/oidc`, clientId: 'e2e-doctors', clientSecret: secret, port: DOCTORS_RP_PORT });
  rps.push(doctorsRp);

  const pharmacist = await practitionerPage(browser, scenario.pharmacist.codes.fresh, scenario.pharmacist.birthPassword);
  await pharmacist.goto(doctorsRp.url);
  await pharmacist.getByTestId('rp-login').click();
  await expect(pharmacist.getByTestId('client-name')).toContainText('医師専用ネットワーク');
  await pharmacist.getByTestId('passkey-login').click();
  await expect(pharmacist.getByTestId('error-code')).toHaveText('service_hcrole_required');
  await expect(pharmacist.getByTestId('error')).toContainText('医師 (Medical Doctor)');
  await pharmacist.context().close();

  // The doctor gets in.
  expect((await rpLogin(admin, doctorsRp)).aud).toBe('e2e-doctors');
});

test('a link request made on the portal home and approved in the console yields linked_account to that service only', async () => {
  await admin.goto(portal.url);
  await admin.getByTestId('request-link-e2e-console').click();
  await expect(admin.getByTestId('service-e2e-console').getByTestId('link-requested')).toBeVisible();

  await admin.goto(`${portal.url}/admin/services`);
  await expect(admin.getByTestId('admin-service-e2e-console')).toContainText('1');
  await admin.goto(`${portal.url}/admin/services/e2e-console`);
  const request = admin.getByTestId('link-request-E2E-MD-1');
  await expect(request).toContainText('神楽坂 三十四');
  await request.getByRole('textbox').fill('CONSOLE-USER-0042');
  await request.getByRole('button', { name: '承認' }).click();
  await expect(admin.getByTestId('link-requests-none')).toBeVisible();

  expect((await rpLogin(admin, consoleRp)).linked_account).toBe('CONSOLE-USER-0042');
  const other = await rpLogin(admin, rps[0]!);
  expect(other.aud).toBe(scenario.clientId);
  expect(other.linked_account).toBeUndefined();
});

test('the portal home shows the linked services and recent sign-ins; the audit log has the console actions', async () => {
  await admin.goto(portal.url);
  const linked = admin.getByTestId('service-e2e-console');
  await expect(linked).toContainText('連携済み');
  await expect(linked.getByRole('link', { name: '開く' })).toHaveAttribute('href', /^https:\/\/ehr-e2e-console\.example\/launch\?iss=/);
  const signIns = admin.getByTestId('sign-ins');
  // Sign-ins are the logins themselves (the one passkey login; the services were entered by SSO).
  await expect(signIns.getByRole('listitem').first()).toContainText('パスキー');
  await expect(signIns.getByRole('listitem').first()).toContainText('成功');

  await admin.goto(`${portal.url}/admin/audit?event=admin.`);
  // The log shows events in words; the code is in the row's details.
  await expect(admin.getByTestId('audit-row').filter({ hasText: '管理：サービスの登録' }).first()).toBeVisible();
  await expect(admin.getByTestId('audit-row').filter({ hasText: '管理：連携申請の承認・却下' })).toHaveCount(1);
  await admin.getByTestId('audit-verify').click();
  await expect(admin.getByTestId('audit-verify-ok')).toBeVisible();
});

test('a CSV file uploaded in the console is checked row by row; a good one is imported and appears in the search', async ({ checks }) => {
  // Expected 4xx: the refused file (400) is the point.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const header = 'registration_number,family_name,given_name,family_name_kanji,given_name_kanji,birth_date,facility,hc_role';
  await admin.goto(`${portal.url}/admin/practitioners`);
  await admin.waitForLoadState('networkidle');
  await admin.getByTestId('csv-file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\nE2E-CSV-1,Ueno,Ken,,,1980-02-30,,Medical Doctor\n`) });
  await admin.getByTestId('csv-import').click();
  await expect(admin.getByTestId('csv-errors')).toContainText('2 行目：birth_date: not a calendar date');
  await admin.getByTestId('csv-file').setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\nE2E-CSV-1,Ueno,Ken,上野,健,1980-02-28,,Medical Doctor\n`) });
  await admin.getByTestId('csv-import').click();
  await expect(admin.getByTestId('csv-imported')).toBeVisible();
  await expect(admin.getByTestId('csv-errors')).toHaveCount(0);
  await admin.goto(`${portal.url}/admin/practitioners?q=E2E-CSV`);
  await expect(admin.getByTestId('admin-practitioners')).toContainText('上野');
});
