import { test, expect } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { addVirtualAuthenticator } from './support/virtual-authenticator.ts';
import { registerPasskey } from './support/register-passkey.ts';

let database: TestDatabase;
let scenario: Scenario;
let portal: PortalProcess;

test.beforeAll(async () => {
  database = await createTestDatabase('e2e-home');
  scenario = await seedScenario(database.url, 'http://localhost:4241');
  portal = new PortalProcess(4240, database.url);
  await portal.start();
});

test.afterAll(async () => {
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

test('the portal logs in through its own provider and shows the license; logout ends it', async ({ page, context }) => {
  await addVirtualAuthenticator(context, page);
  await registerPasskey(page, `${portal.url}/register/${scenario.doctor.codes.fresh}`, scenario.doctor.birthPassword);

  await page.goto(portal.url);
  await page.getByTestId('portal-login').click();
  await page.getByTestId('passkey-login').click();
  // First party: no consent page; straight back home.
  await expect(page.getByTestId('license-name')).toHaveText('神楽坂 三十四');
  await expect(page.getByTestId('license-roles')).toHaveText('医師');
  await expect(page.getByTestId('device')).toContainText('登録したスマートフォンがあります');

  await page.getByTestId('portal-logout').click();
  await expect(page.getByTestId('logged-out')).toBeVisible();
  await page.goto(portal.url);
  await expect(page.getByTestId('portal-login')).toBeVisible();
});
