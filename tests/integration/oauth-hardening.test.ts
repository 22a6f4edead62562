import crypto from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, decodeProtectedHeader, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { followRedirects, hpkiCardLogin, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { consoleUser, type ConsoleUser } from '../support/admin-session.ts';
import { upsertClient, upsertSigningClient } from '../../src/clients/clients.ts';
import { startSampleRelyingParty } from '../../src/demo/sample-relying-party.ts';
import { createSigningKey } from '../../src/signing/signing-credentials.ts';
import { issueSecondCertificateWithTestCa } from '../../src/demo/second-certificate-issuer.ts';
import { certificateFingerprint } from '../../src/pki/fingerprint.ts';
import { readEnvironment } from '../../src/config/environment.ts';
import { storedPayloadId } from '../../src/oidc/payload-store.ts';

/**
 * Issue 13, OAuth / OpenID Connect points 13–17, through the HTTP endpoints: introspection only by
 * the token's own client and its resource servers; only the registered client-authentication
 * method at every endpoint that authenticates clients; refresh rotation with a retry grace; the
 * FAPI 2.0 Security Profile per service; redirect_uri always required. Time moves through the rows.
 */
let t: TestPortal;
let pki: HpkiTestPki;
let admin: ConsoleUser;
let issuer: string;

type Auth = () => Promise<{ headers: Record<string, string>; params: Record<string, string> }>;
interface Service {
  id: string;
  redirectUri: string;
  auth: Auth;
  /** A DPoP proof for a request (FAPI services). */
  dpop?: (method: string, url: string, accessToken?: string) => Promise<string>;
}

const basicAuth = (id: string, secret: string): Auth => async () => ({
  headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
  params: {},
});
const postAuth = (id: string, secret: string): Auth => async () => ({ headers: {}, params: { client_id: id, client_secret: secret } });

/** A FAPI service's keys: ES256 and RSA (PS256/RS256) client keys, ES256 and RSA DPoP keys. */
interface FapiKeys {
  ec: CryptoKey;
  rsa: CryptoKey;
  rsaPkcs1: CryptoKey;
  dpopEc: { privateKey: CryptoKey; jwk: JWK };
  dpopRsa: { privateKey: CryptoKey; jwk: JWK };
  jwks: { keys: JWK[] };
}

async function fapiKeys(): Promise<FapiKeys> {
  const ec = await generateKeyPair('ES256', { extractable: true });
  const rsa = await generateKeyPair('PS256', { extractable: true, modulusLength: 2048 });
  const rsaPkcs1 = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const dpopEc = await generateKeyPair('ES256', { extractable: true });
  const dpopRsa = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return {
    ec: ec.privateKey,
    rsa: rsa.privateKey,
    rsaPkcs1: rsaPkcs1.privateKey,
    dpopEc: { privateKey: dpopEc.privateKey, jwk: await exportJWK(dpopEc.publicKey) },
    dpopRsa: { privateKey: dpopRsa.privateKey, jwk: await exportJWK(dpopRsa.publicKey) },
    jwks: {
      keys: [
        { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', use: 'sig' },
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', use: 'sig' },
        { ...(await exportJWK(rsaPkcs1.publicKey)), kid: 'rsa-2', use: 'sig' },
      ],
    },
  };
}

interface AssertionOptions {
  aud?: string | string[];
  alg?: 'ES256' | 'PS256' | 'RS256';
  /** exp − iat, seconds (default 60). */
  lifetime?: number;
  withoutIat?: boolean;
  jti?: string;
}

function clientAssertion(clientId: string, keys: FapiKeys, options: AssertionOptions = {}) {
  const alg = options.alg ?? 'ES256';
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg, kid: { ES256: 'ec-1', PS256: 'rsa-1', RS256: 'rsa-2' }[alg] })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(options.aud ?? issuer)
    .setJti(options.jti ?? crypto.randomUUID())
    .setExpirationTime(now + (options.lifetime ?? 60));
  if (!options.withoutIat) jwt.setIssuedAt(now);
  return jwt.sign({ ES256: keys.ec, PS256: keys.rsa, RS256: keys.rsaPkcs1 }[alg]);
}

const assertionAuth = (clientId: string, keys: FapiKeys, options: AssertionOptions = {}): Auth => async () => ({
  headers: {},
  params: {
    client_id: clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await clientAssertion(clientId, keys, options),
  },
});

function dpopProof(keys: FapiKeys, method: string, url: string, accessToken?: string, alg: 'ES256' | 'RS256' = 'ES256') {
  const key = alg === 'ES256' ? keys.dpopEc : keys.dpopRsa;
  return new SignJWT({ htm: method, htu: url, jti: crypto.randomUUID(), ...(accessToken ? { ath: crypto.createHash('sha256').update(accessToken).digest('base64url') } : {}) })
    .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey);
}

/** A form POST to an endpoint that authenticates clients. */
async function post(path: string, auth: Auth, params: Record<string, string>, headers: Record<string, string> = {}) {
  const a = await auth();
  const res = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...a.headers, ...headers },
    body: new URLSearchParams({ ...params, ...a.params }),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> & { error?: string; error_description?: string } };
}

const pkce = () => {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
};

function parParams(service: Service, challenge: string, extra: Record<string, string> = {}) {
  return {
    response_type: 'code',
    client_id: service.id,
    redirect_uri: service.redirectUri,
    scope: 'openid profile hcrole offline_access',
    prompt: 'consent',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st',
    nonce: 'nc',
    ...extra,
  };
}

/** Logs in with the test card in a fresh browser and approves the consent; the code at the redirect URI. */
async function browserToCode(service: Service, requestUri: string) {
  const jar = new CookieJar();
  const login = await followRedirects(jar, t.url, `${t.url}/oidc/auth?client_id=${service.id}&request_uri=${encodeURIComponent(requestUri)}`, (u) =>
    u.pathname.startsWith('/interaction/'),
  );
  const uid = login.pathname.split('/')[2]!;
  const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
  const { redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json();
  let landed = await followRedirects(jar, t.url, redirectTo, (u) => u.href.startsWith(service.redirectUri) || u.pathname.startsWith('/interaction/'));
  if (landed.pathname.startsWith('/interaction/')) {
    const consentUid = landed.pathname.split('/')[2]!;
    const decided = await (await jar.fetch(`${t.url}/interaction/${consentUid}/consent`, jsonPost({ decision: 'approve' }))).json();
    landed = await followRedirects(jar, t.url, decided.redirectTo, (u) => u.href.startsWith(service.redirectUri));
  }
  const code = landed.searchParams.get('code');
  if (!code) throw new Error(`no code: ${landed.href}`);
  return code;
}

/** PAR → card login → consent → code. */
async function authorize(service: Service, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const parUrl = `${t.url}/oidc/request`;
  const par = await post('/oidc/request', service.auth, parParams(service, challenge, extra), service.dpop ? { dpop: await service.dpop('POST', parUrl) } : {});
  if (par.status !== 201) throw new Error(`PAR failed: ${par.status} ${JSON.stringify(par.body)}`);
  return { code: await browserToCode(service, String(par.body.request_uri)), verifier };
}

async function exchange(service: Service, code: string, verifier: string, params: Record<string, string> = {}, auth = service.auth) {
  const tokenUrl = `${t.url}/oidc/token`;
  return post(
    '/oidc/token',
    auth,
    { grant_type: 'authorization_code', code, redirect_uri: service.redirectUri, code_verifier: verifier, ...params },
    service.dpop ? { dpop: await service.dpop('POST', tokenUrl) } : {},
  );
}

interface Tokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
  token_type: string;
}
async function tokensFor(service: Service) {
  const { code, verifier } = await authorize(service);
  const res = await exchange(service, code, verifier);
  if (res.status !== 200) throw new Error(`token exchange failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as unknown as Tokens;
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

let rpBasic: Service;
let rpPost: Service;
let rpOther: Service;
let resourceServer: Service;
let rpBasicSecret: string;
let rpPostSecret: string;

beforeAll(async () => {
  t = await startTestPortal('oauth-hardening', { env: { HPKI_AUTO_ENROL: 'true' } });
  issuer = `${t.url}/oidc`;
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  admin = await consoleUser(t, { admin: true, registrationNumber: 'OAUTH-ADMIN' });
  const made = async (clientId: string, authMethod: 'client_secret_basic' | 'client_secret_post' = 'client_secret_basic') => {
    const redirectUri = `http://localhost:9/${clientId}/cb`;
    const { clientSecret } = await upsertClient(t.portal.prisma, { clientId, name: clientId, redirectUris: [redirectUri], authMethod });
    return { id: clientId, redirectUri, secret: clientSecret };
  };
  const basic = await made('rp-basic');
  const postMethod = await made('rp-post', 'client_secret_post');
  const other = await made('rp-other');
  const rs = await made('rs-api');
  rpBasicSecret = basic.secret;
  rpPostSecret = postMethod.secret;
  rpBasic = { ...basic, auth: basicAuth(basic.id, basic.secret) };
  rpPost = { ...postMethod, auth: postAuth(postMethod.id, postMethod.secret) };
  rpOther = { ...other, auth: basicAuth(other.id, other.secret) };
  resourceServer = { ...rs, auth: basicAuth(rs.id, rs.secret) };
  // rp-basic names rs-api as a resource server of its access tokens (the console's field, set directly here).
  const stored = await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId: 'rp-basic' } });
  await t.portal.prisma.oidcClient.update({
    where: { clientId: 'rp-basic' },
    data: { metadata: { ...(stored.metadata as object), introspection_resource_servers: ['rs-api'] } },
  });
}, 90_000);
afterAll(() => t?.close());

describe('13. introspection: only the token’s own client and its resource servers', () => {
  let tokens: Tokens;
  beforeAll(async () => {
    tokens = await tokensFor(rpBasic);
  });
  const introspect = (caller: Service, token: string) => post('/oidc/token/introspection', caller.auth, { token });

  it('the token’s own client sees its access and refresh tokens, with its pairwise sub', async () => {
    const access = await introspect(rpBasic, tokens.access_token);
    expect(access.status).toBe(200);
    expect(access.body).toMatchObject({ active: true, client_id: 'rp-basic', sub: claimsOf(tokens.id_token).sub });
    expect((await introspect(rpBasic, tokens.refresh_token)).body.active).toBe(true);
  });

  it('another service learns nothing: not active, no sub (not even for its own pairwise identifier)', async () => {
    for (const token of [tokens.access_token, tokens.refresh_token]) {
      const res = await introspect(rpOther, token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ active: false });
    }
  });

  it('a resource server named by the token’s client introspects its access tokens, never its refresh tokens', async () => {
    const access = await introspect(resourceServer, tokens.access_token);
    expect(access.body).toMatchObject({ active: true, client_id: 'rp-basic', sub: claimsOf(tokens.id_token).sub });
    expect((await introspect(resourceServer, tokens.refresh_token)).body).toEqual({ active: false });
    // …and not the tokens of a service that did not name it.
    const others = await tokensFor(rpOther);
    expect((await introspect(resourceServer, others.access_token)).body).toEqual({ active: false });
  });

  it('a resource server named with an unknown or own client ID is refused when the service is loaded', async () => {
    await expect(t.portal.provider.Client.validate({ client_id: 'x-svc', client_secret: 's'.repeat(32), redirect_uris: ['http://localhost:9/x'], introspection_resource_servers: ['x-svc'] } as never)).rejects.toMatchObject({
      error: 'invalid_client_metadata',
      error_description: expect.stringContaining('introspection_resource_servers'),
    });
    await expect(t.portal.provider.Client.validate({ client_id: 'x-svc', client_secret: 's'.repeat(32), redirect_uris: ['http://localhost:9/x'], introspection_resource_servers: ['not a client id'] } as never)).rejects.toMatchObject({
      error: 'invalid_client_metadata',
    });
  });
});

describe('14. only the registered client-authentication method, at every endpoint that authenticates clients', () => {
  const endpoints: [string, string, (s: Service) => Record<string, string>][] = [
    ['token', '/oidc/token', (s) => ({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: s.redirectUri, code_verifier: 'v'.repeat(43) })],
    ['PAR', '/oidc/request', (s) => parParams(s, pkce().challenge)],
    ['introspection', '/oidc/token/introspection', () => ({ token: 'not-a-token' })],
    ['revocation', '/oidc/token/revocation', () => ({ token: 'not-a-token' })],
  ];

  it.each(endpoints)('%s: a client_secret_basic service is refused with client_secret_post, and accepted with Basic', async (_name, path, params) => {
    const refused = await post(path, postAuth('rp-basic', rpBasicSecret), params(rpBasic));
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    expect(refused.body.error_description).toMatch(/registered with token_endpoint_auth_method client_secret_basic; client_secret_post .* is not accepted/);
    const accepted = await post(path, rpBasic.auth, params(rpBasic));
    expect(accepted.body.error).not.toBe('invalid_client');
    expect(accepted.status).toBeLessThan(401);
  });

  it.each(endpoints)('%s: a client_secret_post service is refused with Basic, and accepted with the secret in the body', async (_name, path, params) => {
    const refused = await post(path, basicAuth('rp-post', rpPostSecret), params(rpPost));
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    expect(refused.body.error_description).toMatch(/registered with token_endpoint_auth_method client_secret_post; client_secret_basic .* is not accepted/);
    const accepted = await post(path, rpPost.auth, params(rpPost));
    expect(accepted.body.error).not.toBe('invalid_client');
    expect(accepted.status).toBeLessThan(401);
  });

  it('a client_secret_post service completes a login and a refresh with the secret in the body', async () => {
    const tokens = await tokensFor(rpPost);
    const refreshed = await post('/oidc/token', rpPost.auth, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
  });

  it('a wrong secret and a private_key_jwt service sending a secret are refused with the reason', async () => {
    const wrong = await post('/oidc/token', basicAuth('rp-basic', 'x'.repeat(43)), endpoints[0]![2](rpBasic));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error_description).toBe('invalid secret provided');
    const keys = await fapiKeys();
    await upsertSigningClient(t.portal.prisma, { clientId: 'ehr-auth-check', name: 'EHR', redirectUris: ['http://localhost:9/ehr-auth/cb'], jwks: keys.jwks as { keys: object[] } });
    const secretFromKeyClient = await post('/oidc/token/introspection', basicAuth('ehr-auth-check', 'x'.repeat(43)), { token: 'not-a-token' });
    expect(secretFromKeyClient.status).toBe(401);
    expect(secretFromKeyClient.body.error_description).toMatch(/does not match the registered client authentication method/);
  });
});

describe('15. refresh rotation with a retry grace', () => {
  const refresh = (token: string, service = rpBasic) => post('/oidc/token', service.auth, { grant_type: 'refresh_token', refresh_token: token });
  const userinfo = async (accessToken: string) => (await fetch(`${t.url}/oidc/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  /** Moves the moment a refresh token was spent into the past. */
  const spentSecondsAgo = (token: string, seconds: number) =>
    t.portal.prisma.$executeRaw`UPDATE oidc_payload SET consumed_at = now() - make_interval(secs => ${seconds}) WHERE model = 'RefreshToken' AND id = ${storedPayloadId('RefreshToken', token)}`;

  it('a lost refresh response: the previous token again gets a fresh pair, the grant lives, the lost token is spent', async () => {
    const first = await tokensFor(rpBasic);
    const lost = await refresh(first.refresh_token);
    expect(lost.status).toBe(200);
    const lostToken = String(lost.body.refresh_token);
    // The EHR never saw that answer and retries with the token it has, 50 s later.
    await spentSecondsAgo(first.refresh_token, 50);
    const retried = await refresh(first.refresh_token);
    expect(retried.status).toBe(200);
    const fresh = retried.body as unknown as Tokens;
    expect(fresh.refresh_token).not.toBe(lostToken);
    expect(fresh.refresh_token).not.toBe(first.refresh_token);
    expect(claimsOf(fresh.id_token).sub).toBe(claimsOf(first.id_token).sub);
    expect(await userinfo(fresh.access_token)).toBe(200);
    // The retry is in the audit log, with the one unused token it superseded.
    await expect.poll(() => t.portal.prisma.auditEvent.count({ where: { event: 'token.refresh_retried', clientId: 'rp-basic' } })).toBeGreaterThan(0);
    const audited = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'token.refresh_retried', clientId: 'rp-basic' } });
    expect(audited.details).toEqual({ supersededRefreshTokens: 1 });
    // The session goes on: the new pair rotates as usual.
    const next = await refresh(fresh.refresh_token);
    expect(next.status).toBe(200);
    expect(await userinfo(String(next.body.access_token))).toBe(200);
    // The token the lost answer carried was never handed out twice: it is spent, and using it is reuse.
    const reuse = await refresh(lostToken);
    expect(reuse.status).toBe(400);
    expect(reuse.body).toMatchObject({ error: 'invalid_grant', error_description: 'refresh token already used' });
    expect(await userinfo(String(next.body.access_token))).toBe(401);
    expect((await refresh(String(next.body.refresh_token))).status).toBe(400);
  });

  it('each rotated refresh token names (the hash of) the one it replaced; nothing else carries a lineage', async () => {
    const first = await tokensFor(rpBasic);
    const second = await refresh(first.refresh_token);
    const third = await refresh(String(second.body.refresh_token));
    expect([second.status, third.status]).toEqual([200, 200]);
    const payloadOf = async (model: string, token: string) =>
      (await t.portal.prisma.oidcPayload.findUniqueOrThrow({ where: { model_id: { model, id: storedPayloadId(model, token) } } })).payload as Record<string, unknown>;
    // The code exchange's token starts a lineage; each rotation names (the hash of) the one it replaced.
    expect(await payloadOf('RefreshToken', first.refresh_token)).not.toHaveProperty('rotatedFrom');
    expect((await payloadOf('RefreshToken', String(second.body.refresh_token))).rotatedFrom).toBe(storedPayloadId('RefreshToken', first.refresh_token));
    expect((await payloadOf('RefreshToken', String(third.body.refresh_token))).rotatedFrom).toBe(storedPayloadId('RefreshToken', String(second.body.refresh_token)));
    expect(await payloadOf('AccessToken', String(third.body.access_token))).not.toHaveProperty('rotatedFrom');
    // The hash is never a usable token: presented as one, it is refused.
    expect((await refresh(storedPayloadId('RefreshToken', first.refresh_token))).status).toBe(400);
  });

  it('several retries in the window each get a pair; only the last one stays usable', async () => {
    const first = await tokensFor(rpBasic);
    const a = await refresh(first.refresh_token);
    const b = await refresh(first.refresh_token);
    const c = await refresh(first.refresh_token);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    const stored = await t.portal.prisma.oidcPayload.findMany({
      where: { model: 'RefreshToken', id: { in: [a, b, c].map((r) => storedPayloadId('RefreshToken', String(r.body.refresh_token))) } },
      select: { id: true, consumedAt: true },
    });
    expect(stored.filter((r) => r.consumedAt === null).map((r) => r.id)).toEqual([storedPayloadId('RefreshToken', String(c.body.refresh_token))]);
    expect((await refresh(String(c.body.refresh_token))).status).toBe(200);
  });

  it('once the new token has been used, the previous one is reuse: the whole grant is revoked', async () => {
    const first = await tokensFor(rpBasic);
    const second = await refresh(first.refresh_token);
    const third = await refresh(String(second.body.refresh_token));
    expect(third.status).toBe(200);
    const reuse = await refresh(first.refresh_token);
    expect(reuse.status).toBe(400);
    expect(reuse.body).toMatchObject({ error: 'invalid_grant', error_description: 'refresh token already used' });
    expect(await userinfo(String(third.body.access_token))).toBe(401);
    expect((await refresh(String(third.body.refresh_token))).status).toBe(400);
  });

  it('after the 60-second window, the previous token is reuse: the whole grant is revoked', async () => {
    expect(t.portal.env.refreshRetrySeconds).toBe(60);
    const first = await tokensFor(rpBasic);
    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    await spentSecondsAgo(first.refresh_token, 61);
    const late = await refresh(first.refresh_token);
    expect(late.status).toBe(400);
    expect(late.body.error_description).toBe('refresh token already used');
    expect(await userinfo(String(second.body.access_token))).toBe(401);
    expect((await refresh(String(second.body.refresh_token))).status).toBe(400);
  });

  it('another service cannot use the grace with a token that is not its own', async () => {
    const first = await tokensFor(rpBasic);
    expect((await refresh(first.refresh_token)).status).toBe(200);
    const stolen = await refresh(first.refresh_token, rpOther);
    expect(stolen.status).toBe(400);
    expect(stolen.body.error_description).toBe('client mismatch');
  });
});

describe('15. the grace is configurable: REFRESH_TOKEN_RETRY_SECONDS', () => {
  it('takes whole seconds from 0 to 600', () => {
    expect(readEnvironment({ REFRESH_TOKEN_RETRY_SECONDS: '120' }).refreshRetrySeconds).toBe(120);
    for (const bad of ['-1', '601', '1.5', 'soon']) expect(() => readEnvironment({ REFRESH_TOKEN_RETRY_SECONDS: bad })).toThrow(/REFRESH_TOKEN_RETRY_SECONDS/);
  });

  it('with 0, any reuse revokes the grant at once', async () => {
    const strict = await startTestPortal('oauth-no-grace', { env: { HPKI_AUTO_ENROL: 'true', REFRESH_TOKEN_RETRY_SECONDS: '0' } });
    try {
      expect(strict.portal.env.refreshRetrySeconds).toBe(0);
      await importTestPki(strict.portal.prisma, pki);
      const redirectUri = 'http://localhost:9/strict/cb';
      const { clientSecret } = await upsertClient(strict.portal.prisma, { clientId: 'rp-strict', name: 'strict', redirectUris: [redirectUri] });
      const saved = t;
      t = strict;
      try {
        const service: Service = { id: 'rp-strict', redirectUri, auth: basicAuth('rp-strict', clientSecret) };
        const first = await tokensFor(service);
        const second = await post('/oidc/token', service.auth, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
        expect(second.status).toBe(200);
        const retry = await post('/oidc/token', service.auth, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
        expect(retry.status).toBe(400);
        expect((await post('/oidc/token', service.auth, { grant_type: 'refresh_token', refresh_token: String(second.body.refresh_token) })).status).toBe(400);
      } finally {
        t = saved;
      }
    } finally {
      await strict.close();
    }
  }, 60_000);
});

describe('16. FAPI 2.0 Security Profile per service', () => {
  let keys: FapiKeys;
  let fapi: Service;
  const tokenUrl = () => `${t.url}/oidc/token`;

  beforeAll(async () => {
    keys = await fapiKeys();
    // Registered through the console with the FAPI box ticked.
    const res = await admin.call('services', {
      clientId: 'fapi-svc',
      name: 'FAPI service',
      redirectUris: ['http://localhost:9/fapi/cb'],
      subjectType: 'public',
      authMethod: 'private_key_jwt',
      jwks: keys.jwks,
      fapi: true,
    });
    expect(res.status).toBe(201);
    fapi = {
      id: 'fapi-svc',
      redirectUri: 'http://localhost:9/fapi/cb',
      auth: assertionAuth('fapi-svc', keys),
      dpop: (method, url, accessToken) => dpopProof(keys, method, url, accessToken),
    };
  });

  it('a FAPI login: PAR, ES256 assertion to the issuer, DPoP-bound tokens, ES256 ID token', async () => {
    const tokens = await tokensFor(fapi);
    expect(tokens.token_type).toBe('DPoP');
    expect(decodeProtectedHeader(tokens.id_token).alg).toBe('ES256');
    const me = await fetch(`${t.url}/oidc/me`, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await dpopProof(keys, 'GET', `${t.url}/oidc/me`, tokens.access_token) } });
    expect(me.status).toBe(200);
    expect((await fetch(`${t.url}/oidc/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
  });

  it('a pushed request is used once: marked used by the login that resumed it, refused afterwards', async () => {
    const { challenge } = pkce();
    const parUrl = `${t.url}/oidc/request`;
    const par = await post('/oidc/request', fapi.auth, parParams(fapi, challenge), { dpop: await fapi.dpop!('POST', parUrl) });
    const requestUri = String(par.body.request_uri);
    const row = () => t.portal.prisma.oidcPayload.findUnique({ where: { model_id: { model: 'PushedAuthorizationRequest', id: storedPayloadId('PushedAuthorizationRequest', requestUri.split(':').pop()!) } } });
    expect((await row())?.consumedAt).toBeNull();
    expect(await browserToCode(fapi, requestUri)).toBeTruthy();
    expect((await row())?.consumedAt).toBeInstanceOf(Date);
    await expect(browserToCode(fapi, requestUri)).rejects.toThrow();
    const again = await fetch(`${t.url}/oidc/auth?client_id=${fapi.id}&request_uri=${encodeURIComponent(requestUri)}`, { redirect: 'manual' });
    // Refused on the provider's error page (no redirect: the request's redirect_uri is not known any more).
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
    expect(await again.text()).toContain('invalid_request_uri');
  });

  it('PAR is required: a plain authorization request is refused', async () => {
    const { challenge } = pkce();
    const query = new URLSearchParams(parParams(fapi, challenge));
    const res = await fetch(`${t.url}/oidc/auth?${query}`, { redirect: 'manual' });
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/Pushed Authorization Request must be used/);
  });

  it('the client assertion’s audience is the issuer only: the token endpoint URL and several values are refused', async () => {
    const params = { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: fapi.redirectUri, code_verifier: 'v'.repeat(43) };
    for (const aud of [tokenUrl(), [issuer, tokenUrl()], [issuer]]) {
      const res = await post('/oidc/token', assertionAuth('fapi-svc', keys, { aud }), params);
      expect(res.status).toBe(401);
      expect(res.body.error_description).toMatch(/audience \(aud\) must be the issuer identifier .* alone/);
    }
    const parRefused = await post('/oidc/request', assertionAuth('fapi-svc', keys, { aud: `${t.url}/oidc/request` }), parParams(fapi, pkce().challenge));
    expect(parRefused.status).toBe(401);
    expect((await post('/oidc/token', assertionAuth('fapi-svc', keys), params)).body.error).toBe('invalid_grant');
  });

  it('a client assertion lives at most 5 minutes and is used once', async () => {
    const params = { token: 'not-a-token' };
    const long = await post('/oidc/token/introspection', assertionAuth('fapi-svc', keys, { lifetime: 301 }), params);
    expect(long.status).toBe(401);
    expect(long.body.error_description).toMatch(/lifetime must not exceed 300 seconds/);
    const longWithoutIat = await post('/oidc/token/introspection', assertionAuth('fapi-svc', keys, { lifetime: 600, withoutIat: true }), params);
    expect(longWithoutIat.status).toBe(401);
    expect((await post('/oidc/token/introspection', assertionAuth('fapi-svc', keys, { lifetime: 300 }), params)).status).toBe(200);
    const jti = crypto.randomUUID();
    expect((await post('/oidc/token/introspection', assertionAuth('fapi-svc', keys, { jti }), params)).status).toBe(200);
    const replay = await post('/oidc/token/introspection', assertionAuth('fapi-svc', keys, { jti }), params);
    expect(replay.status).toBe(401);
    expect(replay.body.error_description).toBe('client assertion tokens must only be used once');
  });

  it('ES256 and PS256 only: an RS256 assertion and an RS256 DPoP proof are refused', async () => {
    const params = { token: 'not-a-token' };
    expect((await post('/oidc/token/introspection', assertionAuth('fapi-svc', keys, { alg: 'PS256' }), params)).status).toBe(200);
    const rs256 = await post('/oidc/token/introspection', assertionAuth('fapi-svc', keys, { alg: 'RS256' }), params);
    expect(rs256.status).toBe(401);
    expect(rs256.body.error_description).toMatch(/signed with ES256 or PS256/);
    const { code, verifier } = await authorize(fapi);
    const rsaProof = await post(
      '/oidc/token',
      fapi.auth,
      { grant_type: 'authorization_code', code, redirect_uri: fapi.redirectUri, code_verifier: verifier },
      { dpop: await dpopProof(keys, 'POST', tokenUrl(), undefined, 'RS256') },
    );
    expect(rsaProof.status).toBe(400);
    expect(rsaProof.body).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringMatching(/ES256 or PS256/) });
    // The code was not spent by the refusal.
    expect((await exchange(fapi, code, verifier)).status).toBe(200);
  });

  it('tokens are DPoP-bound: a token request without a proof is refused', async () => {
    const { code, verifier } = await authorize(fapi);
    const bare = await post('/oidc/token', fapi.auth, { grant_type: 'authorization_code', code, redirect_uri: fapi.redirectUri, code_verifier: verifier });
    expect(bare.status).toBe(400);
    expect(bare.body.error_description).toBe('DPoP proof JWT not provided');
  });

  it('authorization codes live 60 seconds', async () => {
    const { code, verifier } = await authorize(fapi);
    const row = await t.portal.prisma.oidcPayload.findUniqueOrThrow({ where: { model_id: { model: 'AuthorizationCode', id: storedPayloadId('AuthorizationCode', code) } } });
    const payload = row.payload as { iat: number; exp: number };
    expect(payload.exp - payload.iat).toBe(60);
    await t.portal.prisma.$executeRaw`
      UPDATE oidc_payload SET payload = jsonb_set(jsonb_set(payload, '{iat}', to_jsonb((payload->>'iat')::bigint - 61)), '{exp}', to_jsonb((payload->>'exp')::bigint - 61)),
             expires_at = expires_at - make_interval(secs => 61)
       WHERE model = 'AuthorizationCode' AND id = ${storedPayloadId('AuthorizationCode', code)}`;
    const late = await exchange(fapi, code, verifier);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
  });

  it('confidential services only: a FAPI service with a client secret is refused by the provider', async () => {
    await expect(
      t.portal.provider.Client.validate({ client_id: 'fapi-secret', client_secret: 's'.repeat(43), redirect_uris: ['http://localhost:9/x'], fapi_profile: '2.0' } as never),
    ).rejects.toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringMatching(/private_key_jwt/) });
    await expect(
      t.portal.provider.Client.validate({ client_id: 'fapi-rs', redirect_uris: ['http://localhost:9/x'], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'RS256', jwks: keys.jwks, fapi_profile: '2.0' } as never),
    ).rejects.toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringMatching(/ES256 or PS256/) });
  });

  it('a signing service is FAPI by default, even registered before the profile existed', async () => {
    const ehrKeys = await fapiKeys();
    await upsertSigningClient(t.portal.prisma, { clientId: 'ehr-legacy', name: 'Older EHR', redirectUris: ['http://localhost:9/ehr-legacy/cb'], jwks: ehrKeys.jwks as { keys: object[] } });
    // As stored before this issue: no fapi_profile, no ID token algorithm.
    const stored = await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId: 'ehr-legacy' } });
    const { fapi_profile: _f, id_token_signed_response_alg: _a, ...legacy } = stored.metadata as Record<string, unknown>;
    await t.portal.prisma.oidcClient.update({ where: { clientId: 'ehr-legacy' }, data: { metadata: legacy as object } });
    const client = await t.portal.provider.Client.find('ehr-legacy');
    expect(client?.idTokenSignedResponseAlg).toBe('ES256');
    const refused = await post('/oidc/token/introspection', assertionAuth('ehr-legacy', ehrKeys, { aud: tokenUrl() }), { token: 'x' });
    expect(refused.status).toBe(401);
    expect((await post('/oidc/token/introspection', assertionAuth('ehr-legacy', ehrKeys), { token: 'x' })).status).toBe(200);
  });

  it('a service without the profile keeps the provider’s wider rules (token endpoint URL as audience)', async () => {
    const plainKeys = await fapiKeys();
    const res = await admin.call('services', { clientId: 'pkjwt-plain', name: 'Plain private_key_jwt', redirectUris: ['http://localhost:9/plain/cb'], authMethod: 'private_key_jwt', jwks: plainKeys.jwks });
    expect(res.status).toBe(201);
    expect((await post('/oidc/token/introspection', assertionAuth('pkjwt-plain', plainKeys, { aud: tokenUrl(), alg: 'RS256', lifetime: 600 }), { token: 'x' })).status).toBe(200);
  });
});

describe('17. redirect_uri is required at the authorization and token endpoints', () => {
  it('the authorization endpoint refuses a request without it, although the service has one redirect URI', async () => {
    // Nowhere to redirect to: the browser gets the error page with the code; the reason is the provider's.
    const refusals: { error?: string; error_description?: string }[] = [];
    const listener = (_ctx: unknown, error: { error?: string; error_description?: string }) => refusals.push(error);
    t.portal.provider.on('authorization.error', listener);
    try {
      for (const scope of ['openid profile', 'profile']) {
        const { redirect_uri: _r, ...params } = parParams(rpBasic, pkce().challenge, { scope });
        const res = await fetch(`${t.url}/oidc/auth?${new URLSearchParams(params)}`, { redirect: 'manual' });
        expect(res.status).toBe(400);
        expect(await res.text()).toContain('invalid_request');
      }
    } finally {
      t.portal.provider.off('authorization.error', listener);
    }
    expect(refusals).toEqual([
      expect.objectContaining({ error: 'invalid_request', error_description: "missing required parameter 'redirect_uri'" }),
      expect.objectContaining({ error: 'invalid_request', error_description: "missing required parameter 'redirect_uri'" }),
    ]);
  });

  it('PAR refuses a request without it (secret and FAPI services alike)', async () => {
    const { challenge } = pkce();
    const { redirect_uri: _r, ...params } = parParams(rpBasic, challenge);
    const res = await post('/oidc/request', rpBasic.auth, params);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', error_description: "missing required parameter 'redirect_uri'" });
    const keys = await fapiKeys();
    await upsertSigningClient(t.portal.prisma, { clientId: 'ehr-redirect', name: 'EHR', redirectUris: ['http://localhost:9/ehr-redirect/cb'], jwks: keys.jwks as { keys: object[] } });
    const fapiService: Service = { id: 'ehr-redirect', redirectUri: 'http://localhost:9/ehr-redirect/cb', auth: assertionAuth('ehr-redirect', keys) };
    const { redirect_uri: _f, ...fapiParams } = parParams(fapiService, challenge, { scope: 'openid' });
    const fapiRes = await post('/oidc/request', fapiService.auth, fapiParams);
    expect(fapiRes.status).toBe(400);
    expect(fapiRes.body.error_description).toBe("missing required parameter 'redirect_uri'");
  });

  it('the token endpoint refuses a code exchange without it (after PAR too), and the code stays usable', async () => {
    const { code, verifier } = await authorize(rpBasic);
    const without = await post('/oidc/token', rpBasic.auth, { grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(without.status).toBe(400);
    expect(without.body).toMatchObject({ error: 'invalid_request', error_description: "missing required parameter 'redirect_uri'" });
    expect((await exchange(rpBasic, code, verifier)).status).toBe(200);
  });
});

describe('openid-client and the demo services under the new rules', () => {
  it('discovery validates with openid-client', async () => {
    const config = await oidc.discovery(new URL(issuer), 'rp-basic', undefined, oidc.ClientSecretBasic(rpBasicSecret), { execute: [oidc.allowInsecureRequests] });
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(issuer);
    expect(meta.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt']));
    expect(meta.pushed_authorization_request_endpoint).toBe(`${issuer}/request`);
    expect(meta.introspection_endpoint).toBe(`${issuer}/token/introspection`);
    expect(meta.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'PS256', 'RS256']));
  });

  it('the sample RP (client_secret_basic) and the sample EHR (FAPI) complete their flows', async () => {
    const port = await freePort();
    const rpOrigin = `http://localhost:${port}`;
    const { clientSecret } = await upsertClient(t.portal.prisma, {
      clientId: 'sample-rp',
      name: 'Sample RP',
      redirectUris: [`${rpOrigin}/callback`],
      postLogoutRedirectUris: [`${rpOrigin}/`],
      backchannelLogoutUri: `${rpOrigin}/backchannel-logout`,
    });
    await upsertSigningClient(t.portal.prisma, { clientId: 'sample-ehr', name: 'Sample EHR', redirectUris: [`${rpOrigin}/ehr/callback`], jwksUri: `${rpOrigin}/ehr/jwks` });
    // The EHR signs with the practitioner's second certificate.
    const portalJar = new CookieJar();
    await hpkiCardLogin(portalJar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
    const cert = await t.portal.prisma.practitionerCertificate.findUniqueOrThrow({ where: { fingerprint: certificateFingerprint(pki.practitioners.valid.certificate) } });
    if (!(await t.portal.prisma.signingCredential.findUnique({ where: { practitionerId: cert.practitionerId } }))) {
      const credential = await createSigningKey(t.portal.prisma, t.portal.keyStores.primary, cert.practitionerId);
      await issueSecondCertificateWithTestCa(t.portal.prisma, credential.id, pki.signCa, [pki.root.der]);
    }
    const rp = await startSampleRelyingParty({ issuer, clientId: 'sample-rp', clientSecret, port, ehr: { clientId: 'sample-ehr' } });
    try {
      const jar = new CookieJar();
      await passThroughPortal(jar, `${rpOrigin}/login?prompt=consent`, rpOrigin);
      const home = await (await jar.fetch(`${rpOrigin}/`)).text();
      expect(home).toContain('data-testid="rp-status">logged-in');
      const refreshed = await jar.fetch(`${rpOrigin}/refresh`, { method: 'POST' });
      expect(refreshed.status).toBe(200);
      expect(await refreshed.json()).toMatchObject({ refreshed: true });

      await passThroughPortal(jar, `${rpOrigin}/ehr/authorize`, rpOrigin);
      expect(await (await jar.fetch(`${rpOrigin}/ehr`)).text()).toContain('data-testid="ehr-status">authorised');
      const signed = await rp.ehr!.sign(2);
      expect(signed).toMatchObject({ signed: 2, verified: 2 });
    } finally {
      await rp.close();
    }
  }, 60_000);
});

/** From a relying party's start URL through the portal (card login, consent) back to the RP's callback. */
async function passThroughPortal(jar: CookieJar, start: string, rpOrigin: string) {
  const first = await jar.fetch(start);
  expect(first.status).toBe(302);
  let landed = await followRedirects(jar, t.url, first.headers.get('location')!, (u) => u.origin === rpOrigin || u.pathname.startsWith('/interaction/'));
  for (let step = 0; step < 3 && landed.pathname.startsWith('/interaction/'); step++) {
    const uid = landed.pathname.split('/')[2]!;
    const view = (await (await jar.fetch(landed.href)).json()).view;
    let redirectTo: string;
    if (view.prompt === 'login') {
      const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
      const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
      ({ redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json());
    } else {
      ({ redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/consent`, jsonPost({ decision: 'approve' }))).json());
    }
    landed = await followRedirects(jar, t.url, redirectTo, (u) => u.origin === rpOrigin || u.pathname.startsWith('/interaction/'));
  }
  expect(landed.origin).toBe(rpOrigin);
  // The RP's callback exchanges the code (openid-client) and answers with a redirect to its home.
  const callback = await jar.fetch(landed.href);
  if (callback.status !== 302) throw new Error(`callback ${callback.status}: ${await callback.text()}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
