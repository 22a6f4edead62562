import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { test, expect, type Page } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { startSampleRelyingParty, type SampleRp } from '../../src/demo/sample-relying-party.ts';
import { addVirtualAuthenticator } from './support/virtual-authenticator.ts';
import { registerPasskey } from './support/register-passkey.ts';

const PORTAL_PORT = 4280;
const RP_PORT = 4281;
const root = path.resolve(import.meta.dirname, '../..');

/**
 * The doctor's second certificate (a key in the software key store, sealed with this portal's
 * key-encryption key, certified by the test HPKI signing CA) and the EHR's client registration —
 * in a tsx child process (the ASN.1 schemas' decorators need tsx).
 */
async function seedSigning(databaseUrl: string, kekFile: string, registrationNumber: string) {
  const script = `
    const { pathToFileURL } = await import('node:url');
    const at = (file) => pathToFileURL(${JSON.stringify(root)} + '/' + file).href;
    const { createHpkiTestPki } = await import(at('src/pki/test-pki/index.ts'));
    const { openDatabase } = await import(at('src/db/open-database.ts'));
    const { loadKeyEncryptionKey } = await import(at('src/crypto/key-encryption.ts'));
    const { createKeyStore } = await import(at('src/signing/key-store-factory.ts'));
    const { createSigningKey } = await import(at('src/signing/signing-credentials.ts'));
    const { issueSecondCertificateWithTestCa } = await import(at('src/demo/second-certificate-issuer.ts'));
    const { upsertSigningClient } = await import(at('src/clients/clients.ts'));
    const db = await openDatabase({ url: process.env.SEED_DATABASE_URL, migrate: true });
    const { kek } = loadKeyEncryptionKey({ file: process.env.SEED_KEK_FILE });
    const stores = await createKeyStore({}, { prisma: db.prisma, kek });
    const pki = await createHpkiTestPki();
    const doctor = await db.prisma.practitioner.findUniqueOrThrow({ where: { registrationNumber: process.env.SEED_REGISTRATION } });
    const credential = await createSigningKey(db.prisma, stores.primary, doctor.id);
    await issueSecondCertificateWithTestCa(db.prisma, credential.id, pki.signCa, [pki.root.der]);
    // signHash checks the certificate with the HPKI signing CA (chain and CRL) and fails closed without them.
    const { importTrustCertificates, importCrl } = await import(at('src/pki/trust/trust-material-repository.ts'));
    await importTrustCertificates(db.prisma, 'hpki', 'anchor', pki.root.der);
    await importTrustCertificates(db.prisma, 'hpki', 'intermediate', pki.signCa.der);
    for (const crl of [pki.rootCrl, pki.signCaCrl]) await importCrl(db.prisma, 'hpki', crl.der, 'test');
    await upsertSigningClient(db.prisma, { clientId: 'e2e-ehr', name: 'E2E 電子カルテ', redirectUris: [process.env.SEED_RP + '/ehr/callback'], jwksUri: process.env.SEED_RP + '/ehr/jwks' });
    await stores.close();
    await db.close();
    process.stdout.write('\\nSEEDED ' + credential.id + '\\n');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, SEED_DATABASE_URL: databaseUrl, SEED_KEK_FILE: kekFile, SEED_REGISTRATION: registrationNumber, SEED_RP: `http://localhost:${RP_PORT}` },
  });
  if (!stdout.includes('SEEDED ')) throw new Error(`signing seed failed:\n${stdout}`);
}

let database: TestDatabase;
let scenario: Scenario;
let portal: PortalProcess;
let rp: SampleRp;
let page: Page;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  database = await createTestDatabase('e2e-signing');
  scenario = await seedScenario(database.url, `http://localhost:${RP_PORT}`);
  portal = new PortalProcess(PORTAL_PORT, database.url);
  await seedSigning(database.url, portal.keyEncryptionKeyFile, 'E2E-MD-1');
  await portal.start();
  rp = await startSampleRelyingParty({
    issuer: `${portal.url}/oidc`,
    clientId: scenario.clientId,
    clientSecret: scenario.clientSecret,
    port: RP_PORT,
    ehr: { clientId: 'e2e-ehr' },
  });
  const context = await browser.newContext();
  page = await context.newPage();
  await addVirtualAuthenticator(context, page);
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus && portal) await testInfo.attach('portal.log', { body: portal.log, contentType: 'text/plain' });
});

test.afterAll(async () => {
  await rp?.close();
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

test('the EHR obtains consent once (passkey login), then signs 100 e-prescriptions without further interaction', async () => {
  await registerPasskey(page, `${portal.url}/register/${scenario.doctor.codes.fresh}`, scenario.doctor.birthPassword);

  await page.goto(`${rp.url}/ehr`);
  await page.getByTestId('ehr-authorize').click();
  await page.getByTestId('passkey-login').click();
  const consent = page.getByTestId('signing-consent');
  await expect(consent).toBeVisible();
  await expect(page.getByTestId('signing-documents')).toHaveText('電子処方箋');
  await expect(page.getByTestId('signing-certificate')).toContainText('TestSignCA2-forNonRepudiation');
  await page.getByTestId('consent-approve').click();
  await expect(page.getByTestId('ehr-status')).toHaveText('authorised');
  const until = new Date(await page.getByTestId('ehr-until').innerText()).getTime();
  expect(until - Date.now()).toBeGreaterThan(17.9 * 3600_000);
  expect(until - Date.now()).toBeLessThanOrEqual(18 * 3600_000);

  const result = await rp.ehr!.sign(100);
  expect(result).toMatchObject({ signed: 100, verified: 100 });
  expect(result.error).toBeUndefined();
});

test('the portal shows the authorisation with a countdown; revoking it stops the next signHash', async () => {
  await page.goto(portal.url);
  await page.getByTestId('portal-login').click();
  await expect(page.getByTestId('signing-authorisation')).toContainText('E2E 電子カルテ');
  await expect(page.getByTestId('signing-countdown')).toContainText(/1[78]:\d\d:\d\d/);
  await page.getByTestId('signing-revoke').click();
  await expect(page.getByTestId('signing-none')).toBeVisible();
  const after = await rp.ehr!.sign(1);
  expect(after.signed).toBe(0);
  expect(after.error).toMatch(/signing_token_invalid|invalid_token/);
});
