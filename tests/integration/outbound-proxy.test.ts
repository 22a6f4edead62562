import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { followRedirects, hpkiCardLogin, jsonPost, finishAuthorization } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { createHpkiTestPki, issueCrl, issuePractitionerCertificate, ocspResponderHandler, type HpkiTestPki, type IssuedCertificate, type OcspHttpHandler } from '../../src/pki/test-pki/index.ts';
import { createDemoServerCertificate } from '../../src/demo/demo-server-certificate.ts';
import { refreshCrlsFromDistributionPoints } from '../../src/pki/revocation/crl-refresh.ts';
import { ocspRevocationChecker } from '../../src/pki/revocation/ocsp-revocation-checker.ts';
import { validateCertificate } from '../../src/pki/validation/validate-certificate.ts';
import { createOutboundFetch, OutboundFetchError, type OutboundFetch } from '../../src/net/outbound-fetch.ts';
import { recordPractitionerCertificate } from '../../src/practitioners/practitioner-certificates.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { createJwksUriService, pushAuthorizationRequestWithAssertion } from '../support/jwks-service.ts';

/**
 * Issue 17 §6 (seed 003: a facility reaches the cloud through a proxy server): every outbound
 * request — CRL distribution points, OCSP responders, a service's JWKS URI and back-channel logout —
 * goes through the forward proxy named by HTTP_PROXY / HTTPS_PROXY, except hosts in NO_PROXY. The
 * proxy is a real tinyproxy (Debian package `tinyproxy-bin`) started here; its log is the evidence.
 *
 * The test portal is configured like a facility: HTTP_PROXY and HTTPS_PROXY point at tinyproxy,
 * NO_PROXY=127.0.0.1, PRIVATE_FETCH_HOSTS allows the test services. So one origin server reached as
 * `localhost` is fetched through the proxy and the same server as `127.0.0.1` directly.
 */

const DAY = 86400_000;

interface Tinyproxy {
  url: string;
  /** The log's request lines so far ("GET http://…", "CONNECT host:port"). */
  requests(): string[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts connections on the port (tinyproxy has started listening). */
async function waitForListener(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}`);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`tinyproxy did not listen on ${port}`);
}

/** A tinyproxy on a free loopback port with a temporary configuration; `allow` is the client address it serves. */
async function startTinyproxy(label: string, allow = '127.0.0.1'): Promise<Tinyproxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tinyproxy-${label}-`));
  const port = await freePort();
  const log = path.join(dir, 'tinyproxy.log');
  fs.writeFileSync(
    path.join(dir, 'tinyproxy.conf'),
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      `LogFile "${log}"`,
      'LogLevel Connect',
      'MaxClients 50',
      `Allow ${allow}`,
      'DisableViaHeader Yes',
      // No ConnectPort line: CONNECT is allowed to any port (the test servers are on random ones).
      '',
    ].join('\n'),
  );
  const child = spawn('tinyproxy', ['-d', '-c', path.join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  await waitForListener(port, child);
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () =>
      (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '')
        .split('\n')
        .map((line) => /Request \(file descriptor \d+\): (\S+ \S+)/.exec(line)?.[1])
        .filter((r): r is string => Boolean(r)),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let proxy: Tinyproxy;
/** A tinyproxy that serves no one here (its Allow names another address): every request gets 403. */
let refusingProxy: Tinyproxy;
let t: TestPortal;
let pki: HpkiTestPki;
let origin: http.Server;
let port: number;
let tlsOrigin: https.Server;
let tlsPort: number;
/** Every request the origin server received (path), in order. */
const received: { path: string; body: string }[] = [];
const published = new Map<string, Uint8Array>();
let ocsp: OcspHttpHandler;
let jwksBody = '';
let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let card: IssuedCertificate;
const extraFetches: OutboundFetch[] = [];

beforeAll(async () => {
  if (spawnSync('tinyproxy', ['-v']).error) throw new Error('tinyproxy is not installed (Debian package `tinyproxy-bin`)');
  proxy = await startTinyproxy('open');
  refusingProxy = await startTinyproxy('refusing', '192.0.2.1');

  pki = await createHpkiTestPki();
  ocsp = ocspResponderHandler(() => ({ issuer: pki.authCa, now: new Date(), answer: { status: 'good' } }));
  keys = await generateKeyPair('ES256', { extractable: true });
  jwksBody = JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' }] });

  // One origin server plays every remote party: CRL distribution point, OCSP responder, a service's JWKS and its back-channel logout.
  origin = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = String(req.url);
      received.push({ path: url, body: body.toString() });
      const crl = published.get(url);
      if (crl) res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(Buffer.from(crl));
      else if (url === '/ocsp') {
        void Promise.resolve(ocsp({ method: req.method ?? '', path: url, contentType: req.headers['content-type'], body: new Uint8Array(body) })).then((reply) => {
          if (reply === 'hang') return;
          res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/ocsp-response' }).end(Buffer.from(reply.body ?? ''));
        });
      } else if (url.startsWith('/jwks')) res.setHeader('content-type', 'application/json').end(jwksBody);
      else res.end();
    });
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  port = (origin.address() as AddressInfo).port;

  // An HTTPS origin whose certificate no one here trusts: what matters is how the request leaves.
  const tls = await createDemoServerCertificate(['localhost']);
  tlsOrigin = https.createServer({ cert: tls.certificatePem, key: tls.privateKeyPem }, (req, res) => {
    received.push({ path: `tls:${String(req.url)}`, body: '' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => tlsOrigin.listen(0, '127.0.0.1', resolve));
  tlsPort = (tlsOrigin.address() as AddressInfo).port;

  t = await startTestPortal('outbound-proxy', {
    env: {
      HPKI_AUTO_ENROL: 'true',
      PRIVATE_FETCH_HOSTS: 'localhost,127.0.0.1',
      HTTP_PROXY: proxy.url,
      https_proxy: proxy.url,
      NO_PROXY: '127.0.0.1',
    },
  });
  await importTestPki(t.portal.prisma, pki);
  card = await issuePractitionerCertificate({
    issuer: pki.authCa,
    kind: 'authentication',
    hcRoles: [{ role: 'Medical Doctor' }],
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    crlDistributionPoint: `http://localhost:${port}/auth.crl`,
    ocspUrl: `http://localhost:${port}/ocsp`,
  });
  const practitioner = await createPractitioner(t.portal.prisma, { registrationNumber: 'PROXY-1', familyName: 'P', givenName: 'X' });
  await recordPractitionerCertificate(t.portal.prisma, practitioner.id, card.der, 'authentication');
}, 120_000);

afterAll(async () => {
  await Promise.all(extraFetches.map((f) => f.close()));
  await t?.close();
  origin?.closeAllConnections();
  origin?.close();
  tlsOrigin?.closeAllConnections();
  tlsOrigin?.close();
  await proxy?.stop();
  await refusingProxy?.stop();
});

/** What reached the origin server and what tinyproxy logged while `action` ran. */
async function observe<T>(action: () => Promise<T>): Promise<{ result: T; paths: string[]; proxied: string[] }> {
  const before = { received: received.length, proxied: proxy.requests().length };
  const result = await action();
  return { result, paths: received.slice(before.received).map((r) => r.path), proxied: proxy.requests().slice(before.proxied) };
}

function outboundFetch(options: Parameters<typeof createOutboundFetch>[0]): OutboundFetch {
  const made = createOutboundFetch(options);
  extraFetches.push(made);
  return made;
}

describe('the portal reads the proxy from its environment', () => {
  it('takes HTTP_PROXY, the lower-case https_proxy and NO_PROXY', () => {
    expect(t.portal.env.outboundProxy).toEqual({ httpProxy: proxy.url, httpsProxy: proxy.url, noProxy: '127.0.0.1' });
  });
});

describe('CRL distribution points', () => {
  it('fetches the CRL through the proxy', async () => {
    const crl = await issueCrl({ issuer: pki.authCa, thisUpdate: new Date(Date.now() - 1000), nextUpdate: new Date(Date.now() + DAY), crlNumber: 7 });
    published.set('/auth.crl', crl.der);
    const { result, paths, proxied } = await observe(() => refreshCrlsFromDistributionPoints(t.portal.prisma, 'hpki', { fetch: t.portal.outboundFetch, timeoutMs: 10_000 }));
    expect(result.find((r) => r.url === `http://localhost:${port}/auth.crl`)).toMatchObject({ outcome: 'loaded' });
    expect(paths).toContain('/auth.crl');
    expect(proxied).toContain(`GET http://localhost:${port}/auth.crl`);
  });

  it('goes direct to a NO_PROXY host', async () => {
    const { result, paths, proxied } = await observe(() => t.portal.outboundFetch(`http://127.0.0.1:${port}/auth.crl`));
    expect(result.status).toBe(200);
    expect(paths).toEqual(['/auth.crl']);
    expect(proxied).toEqual([]);
  });
});

describe('OCSP', () => {
  it('posts the OCSP request through the proxy and reads a good answer', async () => {
    const checker = ocspRevocationChecker({ fetch: t.portal.outboundFetch });
    const { result, paths, proxied } = await observe(() => checker.check(card.certificate, pki.authCa.certificate, new Date()));
    expect(result).toEqual({ status: 'good', source: 'ocsp' });
    expect(paths).toEqual(['/ocsp']);
    expect(proxied).toEqual([`POST http://localhost:${port}/ocsp`]);
  });
});

describe('a service’s JWKS URI (private_key_jwt)', () => {
  it('fetches the keys through the proxy and authenticates the client', async () => {
    await keyService('proxied-jwks', `http://localhost:${port}/jwks`);
    const { result, paths, proxied } = await observe(() => pushAuthorizationRequest('proxied-jwks'));
    expect(result.status).toBe(201);
    expect(paths).toEqual(['/jwks']);
    expect(proxied).toEqual([`GET http://localhost:${port}/jwks`]);
  });

  it('fetches the keys of a NO_PROXY host directly', async () => {
    await keyService('direct-jwks', `http://127.0.0.1:${port}/jwks-direct`);
    const { result, paths, proxied } = await observe(() => pushAuthorizationRequest('direct-jwks'));
    expect(result.status).toBe(201);
    expect(paths).toEqual(['/jwks-direct']);
    expect(proxied).toEqual([]);
  });

  it('tunnels an https URI with CONNECT, and verifies TLS end to end (the proxy cannot stand in for the service)', async () => {
    const { result, paths, proxied } = await observe(() => t.portal.outboundFetch(`https://localhost:${tlsPort}/jwks`).then(() => 'answered', (e: unknown) => e));
    expect(result).toBeInstanceOf(OutboundFetchError);
    expect((result as OutboundFetchError).kind).toBe('network');
    expect(proxied).toEqual([`CONNECT localhost:${tlsPort}`]);
    expect(paths).toEqual([]); // the untrusted certificate ended it before any request was sent
  });
});

describe('back-channel logout', () => {
  it('posts the logout token through the proxy, and directly to a NO_PROXY host', async () => {
    const services = [
      { id: 'bc-proxied', uri: `http://localhost:${port}/bc-proxied` },
      { id: 'bc-direct', uri: `http://127.0.0.1:${port}/bc-direct` },
    ];
    const secrets = new Map<string, string>();
    for (const s of services) {
      const made = await upsertClient(t.portal.prisma, {
        clientId: s.id,
        name: s.id,
        redirectUris: [`http://localhost:9/${s.id}/cb`],
        postLogoutRedirectUris: [],
        backchannelLogoutUri: s.uri,
        scope: 'openid profile',
      });
      secrets.set(s.id, made.clientSecret);
    }
    const jar = new CookieJar();
    await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
    for (const s of services) await serviceLogin(jar, s.id, secrets.get(s.id)!);

    const before = received.length;
    const { result, proxied } = await observe(() => jar.fetch(`${t.url}/portal/logout`, { method: 'POST', headers: { origin: t.url } }));
    expect(result.status).toBe(303);
    const told = received.slice(before).filter((r) => r.path.startsWith('/bc-'));
    expect(told.map((r) => r.path).sort()).toEqual(['/bc-direct', '/bc-proxied']);
    for (const r of told) expect(new URLSearchParams(r.body).get('logout_token')).toMatch(/^ey/);
    expect(proxied).toContain(`POST http://localhost:${port}/bc-proxied`);
    expect(proxied.some((line) => line.includes('/bc-direct'))).toBe(false);

    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'logout', details: { path: ['via'], equals: 'portal' } }, orderBy: { seq: 'desc' } });
    const { delivered, failed } = (audit.details as { backchannel: { delivered: string[]; failed: string[] } }).backchannel;
    expect(delivered).toEqual(expect.arrayContaining(['bc-proxied', 'bc-direct']));
    expect(failed).toEqual([]);
  });
});

describe('the outbound policy applies to the destination, not to the proxy', () => {
  it('uses a proxy on a loopback address that is not allowed, and still refuses a loopback destination that is not allowed', async () => {
    const viaProxy = outboundFetch({ proxy: { httpProxy: proxy.url }, allowHosts: ['localhost'] });
    const allowed = await observe(() => viaProxy(`http://localhost:${port}/jwks`));
    expect(allowed.result.status).toBe(200);
    expect(allowed.proxied).toEqual([`GET http://localhost:${port}/jwks`]);

    for (const refused of [`http://127.0.0.1:${port}/jwks`, 'http://10.0.0.5/auth.crl', `http://[::1]:${port}/jwks`]) {
      const seen = await observe(() => viaProxy(refused).then(() => 'answered', (e: unknown) => e));
      expect(seen.result).toMatchObject({ kind: 'destination_refused' });
      expect(seen.proxied).toEqual([]); // refused here: the proxy is never asked
      expect(seen.paths).toEqual([]);
    }
  });
});

describe('a proxy that refuses: the fetch’s normal failure, revocation fails closed', () => {
  it('a CRL refresh reports the failure and keeps the stored CRL', async () => {
    const refused = outboundFetch({ proxy: { httpProxy: refusingProxy.url }, allowHosts: ['localhost'] });
    const results = await refreshCrlsFromDistributionPoints(t.portal.prisma, 'hpki', { fetch: refused, timeoutMs: 10_000 });
    expect(results.find((r) => r.url === `http://localhost:${port}/auth.crl`)).toMatchObject({ outcome: 'failed', detail: 'HTTP 403' });
    t.portal.trust.invalidate('hpki');
    const store = await t.portal.trust.get('hpki');
    expect((await validateCertificate(card.der, { trustStore: store!, profile: 'hpki-auth' })).ok).toBe(true);
  });

  it('an OCSP check answers ocsp_unavailable, and a validation with only OCSP fails closed', async () => {
    const refused = outboundFetch({ proxy: { httpProxy: refusingProxy.url }, allowHosts: ['localhost'] });
    const checker = ocspRevocationChecker({ fetch: refused });
    expect(await checker.check(card.certificate, pki.authCa.certificate, new Date())).toMatchObject({ status: 'unknown', code: 'ocsp_unavailable' });
    const store = await t.portal.trust.get('hpki');
    expect(await validateCertificate(card.der, { trustStore: store!, profile: 'hpki-auth', revocationCheckers: [checker] })).toMatchObject({ ok: false, code: 'ocsp_unavailable' });
  });

  it('a CONNECT refused by the proxy is a network failure', async () => {
    const refused = outboundFetch({ proxy: { httpsProxy: refusingProxy.url }, allowHosts: ['localhost'] });
    await expect(refused(`https://localhost:${tlsPort}/jwks`)).rejects.toMatchObject({ kind: 'network' });
  });

  it('a proxy that is not running is a network failure, and OCSP answers ocsp_unavailable', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const nowhere = outboundFetch({ proxy: { httpProxy: down }, allowHosts: ['localhost'] });
    await expect(nowhere(`http://localhost:${port}/auth.crl`)).rejects.toMatchObject({ kind: 'network' });
    expect(await ocspRevocationChecker({ fetch: nowhere }).check(card.certificate, pki.authCa.certificate, new Date())).toMatchObject({ status: 'unknown', code: 'ocsp_unavailable' });
  });
});

const keyService = (clientId: string, jwksUri: string) => createJwksUriService(t, clientId, jwksUri);
const pushAuthorizationRequest = (clientId: string) => pushAuthorizationRequestWithAssertion(t, clientId, keys.privateKey);

/** A linked service's login in this browser, SSO from the portal login (PAR + PKCE, client_secret_basic). */
async function serviceLogin(jar: CookieJar, clientId: string, secret: string) {
  const redirectUri = `http://localhost:9/${clientId}/cb`;
  const verifier = crypto.randomBytes(32).toString('base64url');
  const par = await fetch(`${t.url}/oidc/request`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }),
  });
  const { request_uri } = (await par.json()) as { request_uri: string };
  const landed = await followRedirects(jar, t.url, `${t.url}/oidc/auth?client_id=${clientId}&request_uri=${encodeURIComponent(request_uri)}`, (u) =>
    u.href.startsWith(redirectUri) || u.pathname.startsWith('/interaction/'),
  );
  let redirectTo = landed.href;
  const uid = landed.pathname.startsWith('/interaction/') ? landed.pathname.split('/')[2]! : undefined;
  if (uid && (await (await jar.fetch(landed.href)).json()).view.prompt === 'login') {
    const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
    const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
    ({ redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json());
  }
  return finishAuthorization(jar, t.url, redirectTo, { id: clientId, secret, redirectUri }, verifier);
}
