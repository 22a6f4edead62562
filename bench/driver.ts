/**
 * The load driver: a separate process that drives the running portal over HTTP (127.0.0.1 only).
 *
 *   login    — full HPKI card logins with a fixed number of concurrent virtual browsers (undici
 *              `request`, one cookie jar per login), bounded by time and count;
 *   refresh  — refresh-token grants (client_secret_basic) with autocannon; every response's rotated
 *              refresh token goes back into the pool (a refresh token is used exactly once);
 *   signhash — CSC signHash (one SHA-256 hash per call) with autocannon; a fresh DPoP proof per
 *              request, signed in this process with node:crypto (ES256) inside setupRequest.
 *
 * Usage: node --import tsx bench/driver.ts <mode> '<json options>'; prints one JSON line `RESULT {…}`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Agent, request } from 'undici';
import autocannon from 'autocannon';
import { SignJWT, importJWK } from 'jose';
import type { BenchState } from './seed.ts';

const [mode, rawOptions] = process.argv.slice(2);
const options = JSON.parse(rawOptions ?? '{}') as {
  base: string;
  stateFile: string;
  concurrency: number;
  seconds: number;
  maxCount?: number;
  tokensFile?: string;
  prompt?: string;
};
const state = JSON.parse(fs.readFileSync(options.stateFile, 'utf8')) as BenchState;
const base = options.base;
const agent = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

// ---------------------------------------------------------------------------------------------
// A minimal browser: manual redirects, a cookie jar.

class Jar {
  private cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  store(setCookie: string | string[] | undefined): void {
    if (!setCookie) return;
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
  }
}

interface Reply {
  status: number;
  location: string | undefined;
  text: string;
}

let httpRequests = 0;
async function http(method: string, url: string, init: { jar?: Jar; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  httpRequests++;
  const headers: Record<string, string> = { ...init.headers };
  const cookie = init.jar?.header();
  if (cookie) headers.cookie = cookie;
  const res = await request(url, { method: method as 'GET', headers, body: init.body, dispatcher: agent });
  init.jar?.store(res.headers['set-cookie']);
  const text = await res.body.text();
  const location = res.headers.location;
  return { status: res.statusCode, location: Array.isArray(location) ? location[0] : location, text };
}

const basic = `Basic ${Buffer.from(`${state.client.id}:${state.client.secret}`).toString('base64')}`;
const formHeaders = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };
const jsonHeaders = { 'content-type': 'application/json' };
const origin = new URL(base).origin;

const cardKeys = state.cards.map((c) => ({
  der: c.der,
  key: crypto.createPrivateKey({ key: Buffer.from(c.pkcs8, 'base64'), format: 'der', type: 'pkcs8' }),
}));

/** What the Web eID extension answers (web-eid:1.0): RS256 over SHA-256(origin) ‖ SHA-256(nonce). */
function cardToken(card: (typeof cardKeys)[number], nonce: string) {
  const data = Buffer.concat([crypto.createHash('sha256').update(origin).digest(), crypto.createHash('sha256').update(nonce).digest()]);
  return {
    format: 'web-eid:1.0',
    unverifiedCertificate: card.der,
    algorithm: 'RS256',
    signature: crypto.sign('sha256', data, card.key).toString('base64'),
    appVersion: 'https://web-eid.eu/web-eid-app/releases/2.5.0',
  };
}

class StepError extends Error {}
const expectStatus = (r: Reply, status: number, step: string) => {
  if (r.status !== status) throw new StepError(`${step}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
};

/** Follows redirects until `stop` says so; every hop is one browser request. */
async function follow(jar: Jar, url: string, stop: (u: URL) => boolean): Promise<URL> {
  let current = new URL(url, base);
  for (let i = 0; i < 10; i++) {
    if (stop(current)) return current;
    const r = await http('GET', current.href, { jar });
    if (!r.location) return current;
    current = new URL(r.location, current);
  }
  throw new StepError('too many redirects');
}

interface LoginOutcome {
  consent: boolean;
  refreshToken?: string;
  accessToken: string;
}

/**
 * One full login as a browser and an RP would make it. `pageLoads` controls whether the
 * interaction pages (login, consent) are fetched, as a browser does (server-rendered by Next.js).
 */
async function login(card: (typeof cardKeys)[number], authParams: Record<string, string>, client: {
  redirectUri: string;
  parHeaders: () => Promise<Record<string, string>>;
  parBody: () => Promise<Record<string, string>>;
  tokenRequest: (code: string, verifier: string) => Promise<{ headers: Record<string, string>; body: Record<string, string> }>;
  clientId: string;
}): Promise<LoginOutcome> {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const par = await http('POST', `${base}/oidc/request`, {
    headers: await client.parHeaders(),
    body: new URLSearchParams({
      response_type: 'code',
      redirect_uri: client.redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: crypto.randomBytes(8).toString('hex'),
      nonce: crypto.randomBytes(8).toString('hex'),
      ...authParams,
      ...(await client.parBody()),
    }).toString(),
  });
  expectStatus(par, 201, 'PAR');
  const { request_uri } = JSON.parse(par.text) as { request_uri: string };
  const jar = new Jar();
  const auth = await http('GET', `${base}/oidc/auth?client_id=${encodeURIComponent(client.clientId)}&request_uri=${encodeURIComponent(request_uri)}`, { jar });
  const uid = /\/interaction\/([^/?]+)/.exec(auth.location ?? '')?.[1];
  if (!uid) throw new StepError(`auth: HTTP ${auth.status} no interaction redirect`);
  const page = await http('GET', `${base}/interaction/${uid}`, { jar });
  expectStatus(page, 200, 'login page');
  // The page asks what to show for this interaction (app/interaction/[uid]/interaction-screen.tsx).
  expectStatus(await http('GET', `${base}/interaction/${uid}/view`, { jar }), 200, 'login view');
  const challengeReply = await http('POST', `${base}/interaction/${uid}/hpki-card/challenge`, { jar, headers: jsonHeaders, body: '{}' });
  expectStatus(challengeReply, 200, 'card challenge');
  const { nonce } = JSON.parse(challengeReply.text) as { nonce: string };
  const verify = await http('POST', `${base}/interaction/${uid}/hpki-card/verify`, {
    jar,
    headers: jsonHeaders,
    body: JSON.stringify({ nonce, token: cardToken(card, nonce) }),
  });
  expectStatus(verify, 200, 'card verify');
  const { redirectTo } = JSON.parse(verify.text) as { redirectTo: string };
  let landed = await follow(jar, redirectTo, (u) => u.href.startsWith(client.redirectUri) || u.pathname.startsWith('/interaction/'));
  let consent = false;
  if (landed.pathname.startsWith('/interaction/')) {
    consent = true;
    const consentUid = landed.pathname.split('/')[2]!;
    const consentPage = await http('GET', landed.href, { jar });
    expectStatus(consentPage, 200, 'consent page');
    expectStatus(await http('GET', `${base}/interaction/${consentUid}/view`, { jar }), 200, 'consent view');
    const decided = await http('POST', `${base}/interaction/${consentUid}/consent`, { jar, headers: jsonHeaders, body: JSON.stringify({ decision: 'approve' }) });
    expectStatus(decided, 200, 'consent');
    landed = await follow(jar, (JSON.parse(decided.text) as { redirectTo: string }).redirectTo, (u) => u.href.startsWith(client.redirectUri));
  }
  const code = landed.searchParams.get('code');
  if (!code) throw new StepError(`no code: ${landed.search.slice(0, 200)}`);
  const tokenRequest = await client.tokenRequest(code, verifier);
  const token = await http('POST', `${base}/oidc/token`, { headers: tokenRequest.headers, body: new URLSearchParams(tokenRequest.body).toString() });
  expectStatus(token, 200, 'token');
  const tokens = JSON.parse(token.text) as { access_token: string; refresh_token?: string; id_token?: string };
  if (!tokens.id_token) throw new StepError('token: no id_token');
  return { consent, refreshToken: tokens.refresh_token, accessToken: tokens.access_token };
}

const sampleClient = {
  clientId: state.client.id,
  redirectUri: state.client.redirectUri,
  parHeaders: async () => formHeaders,
  parBody: async () => ({ client_id: state.client.id }),
  tokenRequest: async (code: string, verifier: string) => ({
    headers: formHeaders,
    body: { grant_type: 'authorization_code', code, redirect_uri: state.client.redirectUri, code_verifier: verifier },
  }),
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function runLogins() {
  const deadline = performance.now() + options.seconds * 1000;
  const maxCount = options.maxCount ?? 100_000;
  const latencies: number[] = [];
  const refreshTokens: string[] = [];
  const errors = new Map<string, number>();
  let started = 0;
  let consents = 0;
  let next = Math.floor(Math.random() * cardKeys.length);
  const authParams = { scope: 'openid profile hcrole', ...(options.prompt ? { prompt: options.prompt } : {}) };
  const t0 = performance.now();
  const requestsBefore = httpRequests;
  const worker = async () => {
    while (performance.now() < deadline && started < maxCount) {
      started++;
      const card = cardKeys[next++ % cardKeys.length]!;
      const begin = performance.now();
      try {
        const outcome = await login(card, authParams, sampleClient);
        latencies.push(performance.now() - begin);
        if (outcome.consent) consents++;
        if (outcome.refreshToken) refreshTokens.push(outcome.refreshToken);
      } catch (error) {
        const key = error instanceof StepError ? error.message.slice(0, 160) : String((error as Error).message ?? error).slice(0, 160);
        errors.set(key, (errors.get(key) ?? 0) + 1);
        if (errors.size > 20 || [...errors.values()].reduce((a, b) => a + b, 0) > 1000) break;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  if (options.tokensFile) {
    const existing = fs.existsSync(options.tokensFile) ? (JSON.parse(fs.readFileSync(options.tokensFile, 'utf8')) as string[]) : [];
    fs.writeFileSync(options.tokensFile, JSON.stringify([...existing, ...refreshTokens]));
  }
  return {
    mode: 'login',
    concurrency: options.concurrency,
    completed: latencies.length,
    errors: Object.fromEntries(errors),
    errorCount: [...errors.values()].reduce((a, b) => a + b, 0),
    elapsedSeconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    meanMs: latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1),
    consentsIncluded: consents,
    refreshTokens: refreshTokens.length,
    httpRequestsPerLogin: (httpRequests - requestsBefore) / (latencies.length || 1),
  };
}

function autocannonSummary(result: autocannon.Result, extra: Record<string, unknown>) {
  const ok = result['2xx'];
  return {
    connections: result.connections,
    completed: ok,
    non2xx: result.non2xx,
    errorCount: result.errors + result.timeouts + result.non2xx,
    elapsedSeconds: result.duration,
    perSecond: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.average,
    ...extra,
  };
}

async function runRefresh() {
  const pool = (JSON.parse(fs.readFileSync(options.tokensFile!, 'utf8')) as string[]).slice();
  if (pool.length < options.concurrency) throw new Error(`only ${pool.length} refresh tokens for ${options.concurrency} connections`);
  let failures = 0;
  let firstFailure: string | undefined;
  const url = new URL(base);
  const result = await autocannon({
    url: `${url.origin}`,
    connections: options.concurrency,
    duration: options.seconds,
    pipelining: 1,
    requests: [
      {
        method: 'POST',
        path: '/oidc/token',
        headers: formHeaders,
        setupRequest: (req) => {
          const token = pool.shift();
          if (!token) throw new Error('refresh-token pool empty');
          return { ...req, body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}` };
        },
        onResponse: (status, body) => {
          if (status === 200) {
            pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
          } else {
            failures++;
            firstFailure ??= `${status} ${body.slice(0, 200)}`;
          }
        },
      },
    ],
  });
  return { mode: 'refresh', ...autocannonSummary(result, { failures, firstFailure, poolLeft: pool.length }) };
}

async function runSignHash() {
  const ehr = state.ehr;
  const clientKey = await importJWK(ehr.clientJwk as never, 'ES256');
  const dpopPrivate = crypto.createPrivateKey({ key: ehr.dpopJwk as crypto.JsonWebKey, format: 'jwk' });
  const { d: _d, ...dpopPublicJwk } = ehr.dpopJwk as Record<string, string>;
  const dpopHeader = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: dpopPublicJwk.kty, crv: dpopPublicJwk.crv, x: dpopPublicJwk.x, y: dpopPublicJwk.y } })).toString('base64url');
  const dpopProof = (htm: string, htu: string, accessToken?: string) => {
    const payload = Buffer.from(
      JSON.stringify({
        htm,
        htu,
        jti: crypto.randomUUID(),
        iat: Math.floor(Date.now() / 1000),
        ...(accessToken ? { ath: crypto.createHash('sha256').update(accessToken).digest('base64url') } : {}),
      }),
    ).toString('base64url');
    const input = `${dpopHeader}.${payload}`;
    return `${input}.${crypto.sign('sha256', Buffer.from(input), { key: dpopPrivate, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
  const assertion = () =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'bench-ehr-1' })
      .setIssuer(ehr.id)
      .setSubject(ehr.id)
      .setAudience(`${base}/oidc`)
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(clientKey);
  const clientAuth = async () => ({
    client_id: ehr.id,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(),
  });
  const detail = { type: 'credential', signatureQualifier: 'hpki-second-certificate', documentTypes: ['e-prescription'] };
  // One consent: PAR (private_key_jwt, authorization_details) → card login → consent → DPoP token.
  const outcome = await login(cardKeys[state.signing.cardIndex]!, { scope: 'openid', authorization_details: JSON.stringify([detail]) }, {
    clientId: ehr.id,
    redirectUri: ehr.redirectUri,
    parHeaders: async () => ({ 'content-type': 'application/x-www-form-urlencoded' }),
    parBody: clientAuth,
    tokenRequest: async (code, verifier) => ({
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: dpopProof('POST', `${base}/oidc/token`) },
      body: { grant_type: 'authorization_code', code, redirect_uri: ehr.redirectUri, code_verifier: verifier, ...(await clientAuth()) },
    }),
  });
  const accessToken = outcome.accessToken;
  const htu = `${base}/csc/v2/signatures/signHash`;
  // Cost of one proof in this process (it is made per request, on the driver's core).
  const probeStart = performance.now();
  for (let i = 0; i < 2000; i++) dpopProof('POST', htu, accessToken);
  const proofMicros = ((performance.now() - probeStart) * 1000) / 2000;
  let counter = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const url = new URL(base);
  const result = await autocannon({
    url: url.origin,
    connections: options.concurrency,
    duration: options.seconds,
    pipelining: 1,
    requests: [
      {
        method: 'POST',
        path: '/csc/v2/signatures/signHash',
        setupRequest: (req) => {
          const hash = crypto.createHash('sha256').update(`e-prescription #${counter++}`).digest('base64');
          return {
            ...req,
            headers: { 'content-type': 'application/json', authorization: `DPoP ${accessToken}`, dpop: dpopProof('POST', htu, accessToken) },
            body: JSON.stringify({
              credentialID: state.signing.credentialId,
              hashes: [hash],
              hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
              signAlgo: '1.2.840.113549.1.1.1',
              documentType: 'e-prescription',
            }),
          };
        },
        onResponse: (status, body) => {
          if (status !== 200) {
            failures++;
            firstFailure ??= `${status} ${body.slice(0, 200)}`;
          }
        },
      },
    ],
  });
  return { mode: 'signhash', ...autocannonSummary(result, { failures, firstFailure, dpopProofs: 'signed per request in the driver (node:crypto ES256)', driverProofMicros: proofMicros }) };
}

const run = mode === 'login' ? runLogins : mode === 'refresh' ? runRefresh : mode === 'signhash' ? runSignHash : undefined;
if (!run) throw new Error(`unknown mode ${mode}`);
const out = await run();
await agent.close();
process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
