// npm run screenshots — every page of the portal at 1280×800 and 390×844, in Japanese and English,
// into screenshots/ (git-ignored) with an index.html contact sheet, so a reviewer sees them all at once.
// Starts its own portal in demo mode (production build: run `npm run build` first) on a free port
// with a throw-away embedded database, and the sample RP (for the consent pages) when its port is free.
// Environment: SCREENSHOTS_DIR (default screenshots/), CHROMIUM_PATH (default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { portalEnv, portalNodeArgs } from './portal-node-args.mjs';
import type { SampleRp } from '../src/demo/sample-relying-party.ts';

// The demo modules load lazily, as everywhere outside src/demo (the layer rule demo-only-lazily).
const { startSampleRelyingParty } = await import('../src/demo/sample-relying-party.ts');
const { DEMO_CLIENT, DEMO_EHR_CLIENT_ID } = await import('../src/demo/seed-demo-data.ts');

const root = path.resolve(import.meta.dirname, '..');
const outDir = path.resolve(root, process.env.SCREENSHOTS_DIR ?? 'screenshots');
const VIEWPORTS = [
  { name: '1280x800', viewport: { width: 1280, height: 800 }, isMobile: false },
  { name: '390x844', viewport: { width: 390, height: 844 }, isMobile: true },
] as const;
const LOCALES = ['ja', 'en'] as const;

const freePort = (preferred = 0) =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(preferred, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

async function startPortal() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-screenshots-'));
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const child = spawn(process.execPath, [...portalNodeArgs(), '--import', 'tsx', 'server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...portalEnv(),
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      DATABASE_URL: `pglite:${tmp}/db`,
      DEMO: 'true',
      DEMO_PKI_DIR: path.join(tmp, 'demo-pki'),
      KEY_ENCRYPTION_KEY_FILE: path.join(tmp, 'kek'),
      AUDIT_CHECKPOINT_FILE: path.join(tmp, 'audit-checkpoints.jsonl'),
      NEXT_TELEMETRY_DISABLED: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('ready on')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the portal exited (${code}):\n${log}`)));
  });
  const registration = /registration URL: (\S+)/.exec(log)?.[1];
  if (!registration) throw new Error(`no registration URL in the portal's output:\n${log}`);
  return {
    url,
    registration,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

type Shot = { page: string; viewport: string; locale: string; file: string; status: string };
const shots: Shot[] = [];

async function shoot(page: Page, name: string, viewport: string, locale: string, status = 'ok') {
  await page.waitForLoadState('load');
  await page.evaluate(() => document.fonts.ready);
  const file = `${name}-${viewport}-${locale}.png`;
  await page.screenshot({ path: path.join(outDir, file), fullPage: true });
  shots.push({ page: name, viewport, locale, file, status });
  console.log(`[screenshots] ${file}`);
}

async function newContext(browser: Browser, v: (typeof VIEWPORTS)[number], locale: string, portalUrl: string, state?: Awaited<ReturnType<BrowserContext['storageState']>>) {
  const context = await browser.newContext({ viewport: v.viewport, isMobile: v.isMobile, hasTouch: v.isMobile, deviceScaleFactor: 1, storageState: state });
  await context.addCookies([{ name: 'lang', value: locale, url: portalUrl }]);
  return context;
}

/** A platform authenticator with biometrics, through Chrome's WebAuthn DevTools domain. */
async function addAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

async function main() {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const portal = await startPortal();
  let rp: SampleRp | undefined;
  if ((await freePort(DEMO_CLIENT.port).catch(() => 0)) === DEMO_CLIENT.port) {
    rp = await startSampleRelyingParty({ issuer: `${portal.url}/oidc`, clientId: DEMO_CLIENT.clientId, clientSecret: DEMO_CLIENT.secret, port: DEMO_CLIENT.port, ehr: { clientId: DEMO_EHR_CLIENT_ID } });
  } else console.warn(`[screenshots] port ${DEMO_CLIENT.port} is busy: no consent pages`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  try {
    // Registration and the first login, once, with a virtual authenticator: the demo doctor (an
    // administrator) registers a passkey and logs in; every later context starts from that state.
    // The registration landing first, in every size and language (opening it uses no code).
    for (const v of VIEWPORTS) {
      for (const locale of LOCALES) {
        const context = await newContext(browser, v, locale, portal.url);
        const p = await context.newPage();
        await p.goto(portal.registration);
        await shoot(p, 'register', v.name, locale);
        await context.close();
      }
    }
    const first = await newContext(browser, VIEWPORTS[0], 'ja', portal.url);
    const page = await first.newPage();
    await addAuthenticator(first, page);
    await page.goto(portal.registration);
    await page.getByTestId('registration-password').fill('19800401');
    await page.getByTestId('registration-next').click();
    await page.getByTestId('registration-passkey').click();
    await page.getByTestId('registration-done').waitFor();
    await shoot(page, 'register-done', VIEWPORTS[0].name, 'ja');
    await page.goto(portal.url);
    await page.getByTestId('portal-login').click();
    await page.getByTestId('passkey-login').click();
    await page.getByTestId('license-name').waitFor();
    const loggedIn = await first.storageState();

    const anonymous: [string, string][] = [
      ['home-logged-out', '/'],
      ['help-passkey', '/help/passkey'],
      ['logged-out', '/logged-out'],
      ['register-used', new URL(portal.registration).pathname],
      ['error-not-found', '/no-such-page'],
      ['error-interaction-expired', '/interaction/no-such-interaction'],
      ['approve-unknown', '/approve/no-such-token'],
    ];
    const signedIn: [string, string][] = [
      ['home-logged-in', '/'],
      ['devices', '/devices'],
      ['my-number-card', '/my-number-card'],
      ['admin', '/admin'],
      ['admin-practitioners', '/admin/practitioners'],
      ['admin-services', '/admin/services'],
      ['admin-services-new', '/admin/services/new'],
      ['admin-trust', '/admin/trust'],
      ['admin-audit', '/admin/audit'],
      ['admin-notices', '/admin/notices'],
    ];
    for (const v of VIEWPORTS) {
      for (const locale of LOCALES) {
        const anon = await newContext(browser, v, locale, portal.url);
        const a = await anon.newPage();
        for (const [name, pathname] of anonymous) {
          const response = await a.goto(`${portal.url}${pathname}`);
          await shoot(a, name, v.name, locale, String(response?.status() ?? ''));
        }
        // The login chooser, reached as a person does: from the portal's login link.
        await a.goto(portal.url);
        await a.getByTestId('portal-login').click();
        await a.waitForURL(/\/interaction\//);
        await shoot(a, 'login-chooser', v.name, locale);
        // 「スマートフォンで認証」: the QR code on the terminal, then what the phone sees when it opens it.
        await a.getByTestId('cross-device-login').click();
        await a.getByTestId('cross-device-qr').waitFor();
        await shoot(a, 'login-cross-device-qr', v.name, locale);
        const approveUrl = (await a.getByTestId('cross-device-url').innerText()).trim();
        await a.goto(approveUrl);
        await shoot(a, 'approve', v.name, locale);
        await anon.close();

        const known = await newContext(browser, v, locale, portal.url, loggedIn);
        const k = await known.newPage();
        for (const [name, pathname] of signedIn) {
          const response = await k.goto(`${portal.url}${pathname}`);
          await shoot(k, name, v.name, locale, String(response?.status() ?? ''));
        }
        if (rp) {
          // A linked service asks for consent; the EHR asks for remote-signing consent.
          await k.goto(rp.url);
          await k.getByTestId('rp-login').click();
          await k.getByTestId('consent-approve').waitFor();
          await shoot(k, 'consent', v.name, locale);
          await k.goto(`${rp.url}/ehr`);
          await k.getByTestId('ehr-authorize').click();
          const signing = await k.getByTestId('signing-consent').waitFor({ timeout: 15_000 }).then(() => true, () => false);
          await shoot(k, signing ? 'signing-consent' : 'signing-consent-unreached', v.name, locale);
        }
        await known.close();
      }
    }
  } finally {
    await browser.close();
    await rp?.close();
    await portal.stop();
    writeIndex();
  }
}

function writeIndex() {
  const names = [...new Set(shots.map((s) => s.page))];
  const cell = (s: Shot | undefined) =>
    s ? `<figure><a href="${s.file}"><img src="${s.file}" loading="lazy" alt="${s.page} ${s.viewport} ${s.locale}"></a><figcaption>${s.viewport} ${s.locale} ${s.status}</figcaption></figure>` : '<figure></figure>';
  const rows = names
    .map((name) => {
      const row = VIEWPORTS.flatMap((v) => LOCALES.map((l) => cell(shots.find((s) => s.page === name && s.viewport === v.name && s.locale === l)))).join('');
      return `<section><h2>${name}</h2><div class="row">${row}</div></section>`;
    })
    .join('\n');
  fs.writeFileSync(
    path.join(outDir, 'index.html'),
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>HPKI SSO portal — screenshots</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem}.row{display:flex;gap:12px;align-items:flex-start;overflow-x:auto}
figure{margin:0;flex:0 0 auto}img{border:1px solid #ccc;max-height:480px;max-width:320px;display:block}figcaption{font-size:.8rem;color:#444}</style>
<h1>Every page at 1280×800 and 390×844, ja and en (${shots.length} screenshots)</h1>\n${rows}\n</html>\n`,
  );
  console.log(`[screenshots] ${shots.length} screenshots; open ${path.join(outDir, 'index.html')}`);
}

await main();
