import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import { issueRegistrationCode } from '../../src/practitioners/registration-codes.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';

/** Every malformed request to every endpoint gets a 4xx with an error code, never a 500. */
let t: TestPortal;
let code: string;
const client = { id: 'it-client', secret: 'it-client-secret-0123456789', redirectUri: 'http://localhost:9/cb' };

beforeAll(async () => {
  t = await startTestPortal('malformed');
  await upsertClient(t.portal.prisma, { clientId: client.id, name: 'IT', secret: client.secret, redirectUris: [client.redirectUri] });
  const p = await createPractitioner(t.portal.prisma, {
    registrationNumber: 'IT-1',
    familyName: 'Test',
    givenName: 'Doctor',
    birthDate: '1980-04-01',
  });
  code = (await issueRegistrationCode(t.portal.prisma, p.id)).code;
});
afterAll(() => t?.close());

async function send(path: string, init: RequestInit = {}) {
  const res = await fetch(`${t.url}${path}`, { redirect: 'manual', ...init });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { html: text };
  }
  return { status: res.status, body };
}
const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('registration endpoints', () => {
  it.each([
    ['unknown code', '/api/register/AAAAAAAAAAAAAAAAAAAAAAAA/password', json({ password: '19800401' }), 404, 'registration_code_unknown'],
    ['code with bad characters', '/api/register/%3Cscript%3E/password', json({ password: '19800401' }), 404, 'registration_code_unknown'],
    ['GET instead of POST', '/api/register/CODE/password', { method: 'GET' }, 405, 'method_not_allowed'],
    ['no content type', '/api/register/CODE/password', { method: 'POST', body: '{"password":"19800401"}' }, 415, 'unsupported_media_type'],
    ['broken JSON', '/api/register/CODE/password', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":' }, 400, 'invalid_request'],
    ['password not a string', '/api/register/CODE/password', json({ password: 19800401 }), 400, 'registration_password_format'],
    ['password of letters', '/api/register/CODE/password', json({ password: 'abcdefgh' }), 400, 'registration_password_format'],
    ['JSON array body', '/api/register/CODE/password', json([1, 2]), 400, 'registration_password_format'],
    ['body of 1 MB', '/api/register/CODE/password', json({ password: 'x'.repeat(1024 * 1024) }), 413, 'payload_too_large'],
    ['passkey response that is not one', '/api/register/CODE/passkey', json({ response: { id: 1 } }), 400, 'invalid_request'],
    ['passkey response with a forged clientDataJSON', '/api/register/CODE/passkey', json({
      response: {
        id: 'abc', rawId: 'abc', type: 'public-key',
        response: { clientDataJSON: Buffer.from('not json').toString('base64url'), attestationObject: 'AAAA' },
      },
    }), 400, 'invalid_request'],
    ['unknown action', '/api/register/CODE/other', json({}), 404, 'not_found'],
  ])('%s → %i %s', async (_name, path, init, status, error) => {
    const res = await send(path.replace('CODE', code), init as RequestInit);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(typeof res.body.message).toBe('string');
  });

  it('does not count malformed passwords as wrong attempts', async () => {
    const row = await t.portal.prisma.registrationCode.findFirstOrThrow({ where: { usedAt: null, supersededAt: null } });
    expect(row.failedAttempts).toBe(0);
  });
});

describe('interaction endpoints', () => {
  it.each([
    ['no interaction cookie', '/interaction/abcdef/passkey/options', json({}), 400, 'interaction_expired'],
    ['no interaction cookie (verify)', '/interaction/abcdef/passkey/verify', json({}), 400, 'interaction_expired'],
    ['unknown action', '/interaction/abcdef/other', json({}), 404, 'not_found'],
    ['unknown API', '/api/nothing', { method: 'GET' }, 404, 'not_found'],
  ])('%s → %i %s', async (_name, path, init, status, error) => {
    const res = await send(path, init as RequestInit);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
  });

  it('an interaction page without its cookie is a 400 page with a code', async () => {
    const res = await send('/interaction/abcdef');
    expect(res.status).toBe(400);
    expect(String(res.body.html)).toContain('interaction_expired');
  });

  it('refuses junk, a challenge of another login, and a replayed challenge', async () => {
    const a = await beginLoginInteraction(t.url, client);
    const b = await beginLoginInteraction(t.url, client);
    const post = (jar: typeof a.jar, uid: string, action: string, body: unknown) =>
      jar.fetch(`${t.url}/interaction/${uid}/${action}`, json(body));

    const junk = await post(a.jar, a.uid, 'passkey/verify', { hello: 'world' });
    expect(junk.status).toBe(400);
    expect((await junk.json()).error).toBe('invalid_request');

    // Another browser's cookie for this interaction uid is refused.
    const crossed = await post(b.jar, a.uid, 'passkey/options', {});
    expect(crossed.status).toBe(400);
    expect((await crossed.json()).error).toBe('interaction_mismatch');

    const options = (await (await post(a.jar, a.uid, 'passkey/options', {})).json()) as { challenge: string };
    expect(Buffer.from(options.challenge, 'base64url')).toHaveLength(32);
    const assertion = (challenge: string) => ({
      id: 'AAAA', rawId: 'AAAA', type: 'public-key',
      response: {
        clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin: t.url })).toString('base64url'),
        authenticatorData: 'AAAA', signature: 'AAAA',
      },
      clientExtensionResults: {},
    });
    // Challenge of login A presented in login B.
    const wrongLogin = await post(b.jar, b.uid, 'passkey/verify', assertion(options.challenge));
    expect((await wrongLogin.json()).error).toBe('passkey_challenge_invalid');
    // First use reaches the credential lookup; the second is a replay.
    const first = await post(a.jar, a.uid, 'passkey/verify', assertion(options.challenge));
    expect((await first.json()).error).toBe('passkey_unknown_credential');
    const replay = await post(a.jar, a.uid, 'passkey/verify', assertion(options.challenge));
    expect(replay.status).toBe(400);
    expect((await replay.json()).error).toBe('passkey_challenge_invalid');
    // Consent is not pending during login.
    const consent = await post(a.jar, a.uid, 'consent', { decision: 'approve' });
    expect((await consent.json()).error).toBe('invalid_request');

    const failures = await t.portal.prisma.auditEvent.count({ where: { event: 'login', result: 'failure' } });
    expect(failures).toBeGreaterThanOrEqual(3);
  });
});

describe('OpenID Provider endpoints', () => {
  const form = (body: Record<string, string>, auth?: string) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams(body).toString(),
  });
  const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;

  it.each([
    ['authorization without parameters', '/oidc/auth', {}],
    ['authorization with an unknown client', '/oidc/auth?client_id=nobody&response_type=code&scope=openid', {}],
    ['token without client authentication', '/oidc/token', form({ grant_type: 'authorization_code', code: 'x' })],
    ['token with a made-up code', '/oidc/token', form({ grant_type: 'authorization_code', code: 'x', redirect_uri: client.redirectUri, code_verifier: 'a'.repeat(43) }, basic)],
    ['token with an unknown grant type', '/oidc/token', form({ grant_type: 'password', username: 'a', password: 'b' }, basic)],
    ['refresh with a made-up token', '/oidc/token', form({ grant_type: 'refresh_token', refresh_token: 'nope' }, basic)],
    ['PAR with plain PKCE', '/oidc/request', form({ response_type: 'code', client_id: client.id, redirect_uri: client.redirectUri, scope: 'openid', code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, basic)],
    ['PAR with a foreign redirect URI', '/oidc/request', form({ response_type: 'code', client_id: client.id, redirect_uri: 'https://evil.example/cb', scope: 'openid', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }, basic)],
    ['userinfo without a token', '/oidc/me', {}],
    ['userinfo with a made-up token', '/oidc/me', { headers: { authorization: 'Bearer nope' } }],
    ['logout with a forged id_token_hint', '/oidc/session/end?id_token_hint=a.b.c', {}],
    ['introspection without client authentication', '/oidc/token/introspection', form({ token: 'x' })],
    ['a path that does not exist', '/oidc/nothing', {}],
  ])('%s → 4xx with an error code', async (_name, path, init) => {
    const res = await send(path, init as RequestInit);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const code = res.body.error ?? /data-testid="error-code">([a-z_]+)</.exec(String(res.body.html))?.[1];
    expect(code).toMatch(/^[a-z_]+$/);
  });

  // With a valid client and redirect URI, OAuth returns the error to the client, not to the browser.
  it.each([
    ['without PKCE', 'response_type=code&scope=openid', 'invalid_request'],
    ['with plain PKCE', `response_type=code&scope=openid&code_challenge=${'a'.repeat(43)}&code_challenge_method=plain`, 'invalid_request'],
    ['with an implicit response type', 'response_type=id_token&scope=openid&nonce=x', 'unsupported_response_type'],
  ])('authorization %s is returned to the client as %s', async (_name, query, error) => {
    const res = await fetch(`${t.url}/oidc/auth?client_id=${client.id}&redirect_uri=${encodeURIComponent(client.redirectUri)}&${query}`, {
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(client.redirectUri);
    // Implicit-style requests get their error in the fragment, as OAuth prescribes.
    const params = location.hash ? new URLSearchParams(location.hash.slice(1)) : location.searchParams;
    expect(params.get('error')).toBe(error);
  });

  it('discovery advertises only S256, PAR, back-channel logout and the hcRole claim', async () => {
    const res = await fetch(`${t.url}/oidc/.well-known/openid-configuration`);
    const d = await res.json();
    expect(d.issuer).toBe(`${t.url}/oidc`);
    expect(d.code_challenge_methods_supported).toEqual(['S256']);
    expect(d.pushed_authorization_request_endpoint).toBe(`${t.url}/oidc/request`);
    expect(d.backchannel_logout_supported).toBe(true);
    expect(d.end_session_endpoint).toBe(`${t.url}/oidc/session/end`);
    expect(d.claims_supported).toContain('hcRole');
    expect(d.scopes_supported).toContain('hcrole');
    expect(d.response_types_supported).toEqual(['code']);
    expect(d.subject_types_supported).toContain('pairwise');
    expect(d.dpop_signing_alg_values_supported.length).toBeGreaterThan(0);
  });
});

describe('language switch', () => {
  it('only returns to a path on this site', async () => {
    const res = await fetch(`${t.url}/lang?set=en&return=//evil.example/x`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect(res.headers.get('set-cookie')).toContain('lang=en');
  });
});

describe('oversized streamed body', () => {
  it('a 1 MB chunked JSON body (no Content-Length) gets the 413 answer, not a reset connection', async () => {
    const http = await import('node:http');
    const url = new URL(`${t.url}/api/register/${code}/password`);
    const answer = await new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      });
      req.on('error', reject);
      // Written in pieces, the way a slow client streams: the server stops reading after 64 KiB.
      const piece = 'x'.repeat(16 * 1024);
      req.write('{"password":"');
      let sent = 0;
      const pump = () => {
        while (sent < 64) {
          sent++;
          if (!req.write(piece)) return void req.once('drain', pump);
        }
        req.end('"}');
      };
      pump();
    });
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe('close');
    expect(JSON.parse(answer.body).error).toBe('payload_too_large');
  });
});
