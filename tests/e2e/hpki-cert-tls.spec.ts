/**
 * Issue 15 part 7: login with the HPKI authentication certificate over TLS, in a real browser.
 * Debian's Chromium presents the demo doctor's certificate to the portal's client-certificate
 * listener (HTTPS_PORT) from a PKCS#11 token — SoftHSM2 loaded into Chromium's NSS database plays
 * the card, and the handshake signature is made on it — selected by the Chromium policy
 * AutoSelectCertificateForUrls (support/nss-softhsm.ts). The relying party (the sample RP,
 * openid-client) starts the login and receives the doctor's ID token.
 *
 * Each case is a Chromium process of its own, with HOME (its NSS database) and SOFTHSM2_CONF (its
 * token) in the environment: the doctor's card, an impostor's card from a CA the portal does not
 * trust, and an empty token.
 *
 * Needs: softhsm2 and libnss3-tools (Debian), the pkcs11js addon, and root for the policy file in
 * /etc/chromium/policies/managed (CI runs as root). Without them the tests fail and say why.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { test, expect } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { startSampleRelyingParty, type SampleRp } from '../../src/demo/sample-relying-party.ts';
import { normaliseSerialHex } from '../../src/pki/serial.ts';
import { expectAccessible, watchConsole, watchContext } from './support/page-checks.ts';
import { createBrowserHome, installAutoSelectCertificatePolicy, requireCardTools, type BrowserHome, type InstalledPolicy } from './support/nss-softhsm.ts';

const PORTAL_PORT = 4300;
const RP_PORT = 4301;
const HTTPS_PORT = 4302;
const CERT_ORIGIN = `https://localhost:${HTTPS_PORT}`;
/** The issuing CA of HPKI authentication certificates (src/pki/test-pki: AUTH_CA_CN), as the policy filter names it. */
const HPKI_AUTH_CA_CN = 'HPKI-01-TestAuthCA2-forAuthentication-forIndividual';

const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

interface Material {
  /** The demo doctor's card (src/demo/demo-pki.ts), recorded as the scenario doctor's certificate. */
  doctor: { der: string; pkcs8: string; serialNumber: string };
  /** The same name and role from a look-alike hierarchy the portal does not trust. */
  impostor: { der: string; pkcs8: string };
  /** The TLS listener's certificate (localhost) and the CA the browser trusts it through. */
  server: { caPem: string; certificatePem: string; privateKeyPem: string };
}

/**
 * The demo PKI loaded into the portal's trust store with the demo doctor's certificate recorded for
 * the scenario doctor, an impostor's card, and the listener's server certificate — in a tsx child
 * process, as in hpki-card-login.spec.ts (the ASN.1 schemas need the legacy decorators).
 */
async function createMaterial(databaseUrl: string, doctorId: string, demoPkiDir: string): Promise<Material> {
  const script = `
    const { pathToFileURL } = await import('node:url');
    const at = (file) => pathToFileURL(${JSON.stringify(root)} + '/' + file).href;
    const { loadDemoPki } = await import(at('src/demo/demo-pki.ts'));
    const { issueHpkiCaHierarchy, issuePractitionerCertificate } = await import(at('src/pki/test-pki/index.ts'));
    const { importCrl, importTrustCertificates } = await import(at('src/pki/trust/trust-material-repository.ts'));
    const { recordPractitionerCertificate } = await import(at('src/practitioners/practitioner-certificates.ts'));
    const { openDatabase } = await import(at('src/db/open-database.ts'));
    const { x509 } = await import(at('src/pki/x509.ts'));
    const b64 = (bytes) => Buffer.from(bytes).toString('base64');
    const pkcs8 = async (issued) => b64(await crypto.subtle.exportKey('pkcs8', issued.keys.privateKey));
    const pem = (label, bytes) => '-----BEGIN ' + label + '-----\\n' + b64(bytes).replace(/.{64}/g, '$&\\n') + '\\n-----END ' + label + '-----\\n';

    const pki = await loadDemoPki(process.env.SEED_DEMO_PKI_DIR);
    const doctor = pki.cards.find((c) => c.holder === 'doctor').certificate;
    const database = await openDatabase({ url: process.env.SEED_DATABASE_URL, migrate: true });
    try {
      await importTrustCertificates(database.prisma, 'hpki', 'anchor', pki.root.der);
      await importTrustCertificates(database.prisma, 'hpki', 'intermediate', pki.authCa.der);
      await importTrustCertificates(database.prisma, 'hpki', 'intermediate', pki.signCa.der);
      for (const crl of pki.crls) await importCrl(database.prisma, 'hpki', crl.der, 'test');
      await recordPractitionerCertificate(database.prisma, process.env.SEED_DOCTOR_ID, doctor.der, 'authentication');
    } finally {
      await database.close();
    }

    const now = new Date();
    const DAY = 86400000;
    const lookAlike = await issueHpkiCaHierarchy({ now });
    const impostor = await issuePractitionerCertificate({
      issuer: lookAlike.authCa,
      kind: 'authentication',
      practitioner: { romanisedName: 'Sanjushi Kagurazaka', kanjiFamilyName: '神楽坂', kanjiGivenName: '三十四',
        facilityEn: 'HPKI DEMO UNIVERSITY HOSPITAL', facilityJa: 'HPKIデモ大学病院', hpkiId: 'Demo000001' },
      hcRoles: [{ role: 'Medical Doctor' }],
      keyAlgorithm: 'rsa-2048',
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 365 * DAY),
    });

    // A hospital-style TLS CA and the listener's certificate for localhost under it.
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
    const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' };
    const caKeys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const serverKeys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const notBefore = new Date(now.getTime() - 3600000);
    const notAfter = new Date(now.getTime() + 30 * DAY);
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01', name: 'CN=HPKI SSO e2e TLS server CA, O=HPKI SSO tests', notBefore, notAfter, keys: caKeys, signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });
    const server = await x509.X509CertificateGenerator.create({
      serialNumber: '02', subject: 'CN=localhost', issuer: ca.subject, notBefore, notAfter,
      signingKey: caKeys.privateKey, publicKey: serverKeys.publicKey, signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }]),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });

    const material = {
      doctor: { der: b64(doctor.der), pkcs8: await pkcs8(doctor), serialNumber: doctor.certificate.serialNumber },
      impostor: { der: b64(impostor.der), pkcs8: await pkcs8(impostor) },
      server: {
        caPem: ca.toString('pem'),
        certificatePem: server.toString('pem'),
        privateKeyPem: pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', serverKeys.privateKey)),
      },
    };
    process.stdout.write('\\nMATERIAL ' + JSON.stringify(material) + '\\n');
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, SEED_DATABASE_URL: databaseUrl, SEED_DOCTOR_ID: doctorId, SEED_DEMO_PKI_DIR: demoPkiDir },
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('MATERIAL '));
  if (!line) throw new Error(`the test material was not made:\n${stdout}`);
  return JSON.parse(line.slice('MATERIAL '.length)) as Material;
}

let tmp: string;
let database: TestDatabase;
let scenario: Scenario;
let material: Material;
let portal: PortalProcess;
let rp: SampleRp;
let policy: InstalledPolicy | undefined;
let homes: Record<'doctor' | 'impostor' | 'empty', BrowserHome>;
let browser: Browser | undefined;
let consoleErrors: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  const module = await requireCardTools();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-cert-tls-e2e-'));
  // First, so that a machine where the test cannot run says so before anything starts.
  policy = installAutoSelectCertificatePolicy(`hpki-sso-e2e-hpki-cert-${HTTPS_PORT}`, [{ pattern: CERT_ORIGIN, filter: { ISSUER: { CN: HPKI_AUTH_CA_CN } } }]);

  database = await createTestDatabase('e2e-hpki-cert-tls');
  scenario = await seedScenario(database.url, `http://localhost:${RP_PORT}`);
  material = await createMaterial(database.url, scenario.doctor.id, path.join(tmp, 'demo-pki'));

  const card = (name: 'doctor' | 'impostor') => ({
    certificateDer: Buffer.from(material[name].der, 'base64'),
    privateKeyPkcs8: Buffer.from(material[name].pkcs8, 'base64'),
    label: `${name} HPKI authentication`,
  });
  const trustedCaPem = [material.server.caPem];
  homes = {
    doctor: await createBrowserHome(path.join(tmp, 'doctor'), { module, tokenLabel: 'HPKI card', card: card('doctor'), trustedCaPem }),
    impostor: await createBrowserHome(path.join(tmp, 'impostor'), { module, tokenLabel: 'HPKI card', card: card('impostor'), trustedCaPem }),
    empty: await createBrowserHome(path.join(tmp, 'empty'), { module, tokenLabel: 'HPKI card', trustedCaPem }),
  };
  // NSS pairs each card's certificate with its key on the token ("u,u,u": a user certificate).
  expect(await homes.doctor.listCertificates()).toMatch(/HPKI card:doctor HPKI authentication\s+u,u,u/);
  expect(await homes.impostor.listCertificates()).toMatch(/HPKI card:impostor HPKI authentication\s+u,u,u/);
  expect(await homes.empty.listCertificates()).not.toContain('HPKI card:');
  // ...and no copy of a key lives in NSS's own software token: the card signs, or nothing does.
  expect(await homes.doctor.softwareTokenKeys()).toEqual([]);

  const tls = path.join(tmp, 'tls');
  fs.mkdirSync(tls, { mode: 0o700 });
  fs.writeFileSync(path.join(tls, 'server.pem'), material.server.certificatePem);
  fs.writeFileSync(path.join(tls, 'server.key'), material.server.privateKeyPem, { mode: 0o600 });
  // Only the recorded certificate logs in: no enrolment of unknown holders.
  portal = new PortalProcess(PORTAL_PORT, database.url, {
    HTTPS_PORT: String(HTTPS_PORT),
    HTTPS_CERT_FILE: path.join(tls, 'server.pem'),
    HTTPS_KEY_FILE: path.join(tls, 'server.key'),
    HPKI_AUTO_ENROL: 'false',
  });
  await portal.start();
  expect(portal.log).toContain(`client-certificate login on ${CERT_ORIGIN}`);
  rp = await startSampleRelyingParty({ issuer: `${portal.url}/oidc`, clientId: scenario.clientId, clientSecret: scenario.clientSecret, port: RP_PORT });
});

test.afterEach(async ({}, testInfo) => {
  await browser?.close();
  browser = undefined;
  if (testInfo.status !== testInfo.expectedStatus) {
    if (portal) await testInfo.attach('portal.log', { body: portal.log, contentType: 'text/plain' });
    await testInfo.attach('console-errors.json', { body: JSON.stringify(consoleErrors, null, 2), contentType: 'application/json' });
  }
  consoleErrors = [];
});

test.afterAll(async () => {
  await browser?.close();
  policy?.remove();
  await rp?.close();
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * Debian Chromium as the other specs launch it (playwright.config.ts), with this terminal's HOME
 * (NSS database) and SOFTHSM2_CONF (token); checks that the certificate policy is in force.
 */
async function launchTerminal(home: BrowserHome): Promise<Page> {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    env: { ...(process.env as Record<string, string>), ...home.env },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const context = watchContext(await browser.newContext());
  const policies = await context.newPage();
  await policies.goto('chrome://policy');
  await expect(policies.getByText('AutoSelectCertificateForUrls', { exact: true }).first(), `Chromium did not load ${policy?.file}`).toBeVisible();
  await policies.close();
  const page = await context.newPage();
  consoleErrors = watchConsole(page);
  return page;
}

/** From the relying party to the portal's login page; returns the link to the TLS listener. */
async function openLogin(page: Page): Promise<{ uid: string; href: string }> {
  await page.goto(rp.url);
  await page.getByTestId('rp-login').click();
  await expect(page.getByTestId('client-name')).toContainText('E2E 地域連携ネットワーク');
  const link = page.getByTestId('hpki-cert-login');
  await expect(link).toBeVisible();
  const uid = /\/interaction\/([^/?#]+)/.exec(page.url())![1]!;
  const href = await link.getAttribute('href');
  expect(href).toBe(`${CERT_ORIGIN}/interaction/${uid}/hpki-cert`);
  return { uid, href: href! };
}

/**
 * The console of a refused login: Chromium itself notes the error page's status (the page answers
 * 401/400 on purpose); nothing else may appear — no script error, no CSP report.
 */
const onlyTheStatusLine = (href: string, status: string) => [`${href}: Failed to load resource: the server responded with a status of ${status}`];

/** Chooses the certificate method and returns the TLS listener's answer (the browser sends the certificate, or not). */
async function chooseCertificateLogin(page: Page, href: string) {
  const answer = page.waitForResponse((r) => r.url() === href);
  await page.getByTestId('hpki-cert-login').click();
  return answer;
}

test('the demo doctor logs in with the HPKI certificate from the token over TLS; the RP gets the ID token', async () => {
  const page = await launchTerminal(homes.doctor);
  const { uid, href } = await openLogin(page);
  await expectAccessible(page);

  const answer = await chooseCertificateLogin(page, href);
  // The listener authenticated the certificate and sends the browser on to the authorization.
  expect(answer.status()).toBe(303);
  expect(answer.headers().location).toBe(`${portal.url}/oidc/auth/${uid}`);
  // Real TLS, with the server certificate Chromium verified through the CA in its NSS database.
  const security = await answer.securityDetails();
  expect(security?.subjectName).toBe('localhost');
  expect(security?.issuer).toBe('HPKI SSO e2e TLS server CA');

  await expect(page.getByTestId('consent')).toBeVisible();
  await expect(page.getByTestId('consent-account')).toContainText('神楽坂');
  await expectAccessible(page);
  await page.getByTestId('consent-approve').click();

  await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
  const claims = JSON.parse(await page.getByTestId('id-token-claims').innerText());
  expect(claims).toMatchObject({
    family_name: 'Kagurazaka',
    given_name: 'Sanjushi',
    'name#ja-Hani-JP': '神楽坂 三十四',
    amr: ['sc', 'pin', 'hwk'],
    acr: 'urn:hpki-sso:acr:hpki:aal3',
  });
  expect(claims.hcRole.map((r: { role: string }) => r.role)).toEqual(['Medical Doctor']);
  // The certificate of this login is the demo doctor's card on the token.
  expect(normaliseSerialHex(claims.hpki.serialNumber)).toBe(normaliseSerialHex(material.doctor.serialNumber));
  expect(claims.hpki.issuer).toContain('HPKI-01-TestAuthCA2-forAuthentication-forIndividual');
  const userinfo = JSON.parse(await page.getByTestId('userinfo').innerText());
  expect(userinfo.hcRole.map((r: { role: string }) => r.role)).toEqual(['Medical Doctor']);
  expect(consoleErrors).toEqual([]);
  // The browser did not import the key anywhere on the way.
  expect(await homes.doctor.softwareTokenKeys()).toEqual([]);
});

test('an impostor card from a CA the portal does not trust is refused with the error page', async ({ checks }) => {
  checks.allowConsole(/Failed to load resource: the server responded with a status of 401 \(Unauthorized\)$/);
  const page = await launchTerminal(homes.impostor);
  const { uid, href } = await openLogin(page);
  const answer = await chooseCertificateLogin(page, href);
  expect(answer.status()).toBe(401);
  await expect(page.getByTestId('error-code')).toHaveText('certificate_untrusted');
  await expectAccessible(page);
  // A way back to the method chooser of the same login, on the portal's own origin.
  await expect(page.getByTestId('back-to-login')).toHaveAttribute('href', `${portal.url}/interaction/${uid}`);
  await page.getByTestId('back-to-login').click();
  await expect(page.getByTestId('hpki-cert-login')).toBeVisible();
  expect(portal.isRunning()).toBe(true);
  expect(consoleErrors).toEqual(onlyTheStatusLine(href, '401 (Unauthorized)'));
});

test('with no certificate on the token the browser sends none, and the login is refused with the error page', async ({ checks }) => {
  checks.allowConsole(/Failed to load resource: the server responded with a status of 400 \(Bad Request\)$/);
  const page = await launchTerminal(homes.empty);
  const { uid, href } = await openLogin(page);
  const answer = await chooseCertificateLogin(page, href);
  expect(answer.status()).toBe(400);
  await expect(page.getByTestId('error-code')).toHaveText('client_certificate_missing');
  await expectAccessible(page);
  await expect(page.getByTestId('back-to-login')).toHaveAttribute('href', `${portal.url}/interaction/${uid}`);
  expect(portal.isRunning()).toBe(true);
  expect(consoleErrors).toEqual(onlyTheStatusLine(href, '400 (Bad Request)'));
});
