import http from 'node:http';
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';

/**
 * A small relying party (a stand-in for a regional EHR network) built only on `openid-client`:
 * PAR + PKCE login, ID token and userinfo display, refresh, RP-initiated logout, and a back-channel
 * logout endpoint. `npm run demo:rp` runs it; the end-to-end tests drive it too.
 */
export interface SampleRpOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** How the client secret is sent: the provider accepts only the method the service is registered with (default Basic, as the console registers). */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  port: number;
  scope?: string;
  /** Also act as an EHR server that obtains remote-signing consent (client registered with jwks_uri /ehr/jwks). */
  ehr?: { clientId: string };
}

interface RpSession {
  state: string;
  nonce: string;
  verifier: string;
  tokens?: { idToken?: string; accessToken: string; refreshToken?: string };
  claims?: Record<string, unknown>;
  userinfo?: Record<string, unknown>;
  sid?: string;
  loggedOutByOp?: boolean;
}

export interface SampleRp {
  url: string;
  /** Every logout token received on the back channel, verified, newest last. */
  backchannelLogouts: { sid?: string; sub?: string }[];
  /** The EHR part, when enabled. */
  ehr?: SampleEhr;
  close(): Promise<void>;
}

function html(title: string, body: string) {
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}pre{background:#f3f4f6;padding:1rem;overflow:auto}
a.button{display:inline-block;background:#0b5cad;color:#fff;padding:.6rem 1.2rem;border-radius:8px;text-decoration:none;margin-right:.5rem}</style>
</head><body><h1>${title}</h1>${body}</body></html>`;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startSampleRelyingParty(options: SampleRpOptions): Promise<SampleRp> {
  const rpUrl = `http://localhost:${options.port}`;
  const insecure = options.issuer.startsWith('http:');
  const clientAuthentication =
    options.tokenEndpointAuthMethod === 'client_secret_post' ? oidc.ClientSecretPost(options.clientSecret) : oidc.ClientSecretBasic(options.clientSecret);
  const config = await oidc.discovery(new URL(options.issuer), options.clientId, undefined, clientAuthentication, {
    execute: insecure ? [oidc.allowInsecureRequests] : [],
  });
  const meta = config.serverMetadata();
  const jwks = createRemoteJWKSet(new URL(meta.jwks_uri!));
  const sessions = new Map<string, RpSession>();
  const backchannelLogouts: SampleRp['backchannelLogouts'] = [];

  const sessionOf = (req: http.IncomingMessage) => {
    const id = /(?:^|;\s*)rp_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    return id ? { id, session: sessions.get(id) } : { id: undefined, session: undefined };
  };

  const ehr = options.ehr ? await createSampleEhr(options.issuer, options.ehr.clientId, rpUrl, insecure) : undefined;

  const handler: http.RequestListener = async (req, res) => {
    const url = new URL(req.url ?? '/', rpUrl);
    try {
      if (ehr && url.pathname.startsWith('/ehr')) {
        await ehr.handle(req, res, url, sessionOf(req).id);
        return;
      }
      if (url.pathname === '/login') {
        const id = crypto.randomBytes(16).toString('base64url');
        const session: RpSession = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
        sessions.set(id, session);
        const params: Record<string, string> = {
          redirect_uri: `${rpUrl}/callback`,
          scope: options.scope ?? 'openid profile hcrole',
          code_challenge: await oidc.calculatePKCECodeChallenge(session.verifier),
          code_challenge_method: 'S256',
          state: session.state,
          nonce: session.nonce,
        };
        for (const key of ['max_age', 'acr_values', 'prompt']) {
          const value = url.searchParams.get(key);
          if (value) params[key] = value;
        }
        const target = await oidc.buildAuthorizationUrlWithPAR(config, params);
        res.writeHead(302, { location: target.href, 'set-cookie': `rp_session=${id}; Path=/; HttpOnly; SameSite=Lax` });
        res.end();
        return;
      }
      if (url.pathname === '/callback' && url.searchParams.has('error')) {
        // The provider answered the login with an error (the person cancelled, prompt=none without a
        // session…): a page that says so, with the code for whoever supports the network.
        const code = url.searchParams.get('error') ?? '';
        const sentence = code === 'access_denied' ? 'ログインは取り消されました。' : code === 'login_required' ? 'ログインしていません。もう一度ログインしてください。' : 'ログインできませんでした。';
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html('デモ地域医療連携ネットワーク', `<p data-testid="rp-status">login-error</p><p>${escape(sentence)}</p><p>error: <code data-testid="rp-error">${escape(code)}</code></p><a class="button" href="/login" data-testid="rp-login">HPKI SSO でログイン</a>`));
        return;
      }
      if (url.pathname === '/callback') {
        const { session } = sessionOf(req);
        if (!session) throw new Error('no login in progress');
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: session.verifier,
          expectedState: session.state,
          expectedNonce: session.nonce,
        });
        const claims = tokens.claims()!;
        session.tokens = { idToken: tokens.id_token, accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
        session.claims = { ...claims };
        session.sid = typeof claims.sid === 'string' ? claims.sid : undefined;
        session.userinfo = { ...(await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)) };
        res.writeHead(302, { location: '/' });
        res.end();
        return;
      }
      if (url.pathname === '/refresh' && req.method === 'POST') {
        const { session } = sessionOf(req);
        if (!session?.tokens?.refreshToken) throw new Error('no refresh token');
        const tokens = await oidc.refreshTokenGrant(config, session.tokens.refreshToken);
        session.tokens = { idToken: tokens.id_token ?? session.tokens.idToken, accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
        session.userinfo = { ...(await oidc.fetchUserInfo(config, tokens.access_token, String(session.claims?.sub))) };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ refreshed: true, userinfo: session.userinfo, rotated: tokens.refresh_token !== undefined }));
        return;
      }
      if (url.pathname === '/logout') {
        const { session } = sessionOf(req);
        const target = oidc.buildEndSessionUrl(config, {
          ...(session?.tokens?.idToken ? { id_token_hint: session.tokens.idToken } : {}),
          post_logout_redirect_uri: `${rpUrl}/`,
        });
        res.writeHead(302, { location: target.href });
        res.end();
        return;
      }
      if (url.pathname === '/backchannel-logout' && req.method === 'POST') {
        const body = new URLSearchParams(await readBody(req));
        const { payload } = await jwtVerify(body.get('logout_token') ?? '', jwks, {
          issuer: meta.issuer,
          audience: options.clientId,
          typ: 'logout+jwt',
        });
        const events = payload.events as Record<string, unknown> | undefined;
        if (!events?.['http://schemas.openid.net/event/backchannel-logout'] || 'nonce' in payload) throw new Error('not a logout token');
        backchannelLogouts.push({ sid: payload.sid as string | undefined, sub: payload.sub });
        for (const session of sessions.values()) {
          if (session.sid && session.sid === payload.sid) session.loggedOutByOp = true;
        }
        res.writeHead(200, { 'cache-control': 'no-store' });
        res.end();
        return;
      }
      if (url.pathname === '/') {
        const { session } = sessionOf(req);
        const loggedIn = session?.claims && !session.loggedOutByOp;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          html(
            'デモ地域医療連携ネットワーク',
            loggedIn
              ? `<p data-testid="rp-status">logged-in</p><h2>ID token</h2><pre data-testid="id-token-claims">${escape(JSON.stringify(session.claims, null, 2))}</pre>
<h2>UserInfo</h2><pre data-testid="userinfo">${escape(JSON.stringify(session.userinfo, null, 2))}</pre><a class="button" href="/logout" data-testid="rp-logout">ログアウト</a>`
              : `<p data-testid="rp-status">${session?.loggedOutByOp ? 'logged-out-by-op' : 'anonymous'}</p><a class="button" href="/login" data-testid="rp-login">HPKI SSO でログイン</a>`,
          ),
        );
        return;
      }
      // No icon of its own: an empty answer, so browsers log no failed request.
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204, { 'cache-control': 'max-age=86400' });
        res.end();
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    } catch (error) {
      const code = (error as { error?: string }).error;
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`error: ${code ? `${code}: ` : ''}${(error as Error).message}`);
    }
  };

  // "localhost" may resolve to either loopback address; listen on both, never on other interfaces.
  const servers: http.Server[] = [];
  for (const host of ['127.0.0.1', '::1']) {
    const server = http.createServer(handler);
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(options.port, host, () => resolve(true));
    });
    if (listening) servers.push(server);
  }
  if (servers.length === 0) throw new Error(`the sample RP cannot listen on port ${options.port}`);
  return {
    url: rpUrl,
    backchannelLogouts,
    ehr,
    close: () =>
      Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      ).then(() => undefined),
  };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The EHR server side of remote signing (seed 003): it obtains the practitioner's consent once
 * (PAR with authorization_details, private_key_jwt, DPoP), keeps the access token centrally so the
 * physician can move between terminals, and signs e-prescriptions through the CSC API. It meets the
 * FAPI 2.0 Security Profile its registration gets: PAR (DPoP-bound) with redirect_uri, PKCE, an ES256 client
 * assertion whose only audience is the issuer (openid-client's default, 60 s), DPoP-bound tokens.
 */
export interface SampleEhr {
  jwks: { keys: object[] };
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, rpSession: string | undefined): Promise<void>;
  /** Signs `count` sample e-prescriptions with the stored authorisation; each signature verified. */
  sign(count: number): Promise<{ signed: number; verified: number; certificateSubject: string; error?: string }>;
}

async function createSampleEhr(issuer: string, clientId: string, rpUrl: string, insecure: boolean): Promise<SampleEhr> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'demo-ehr-1', use: 'sig', alg: 'ES256' };
  const config = await oidc.discovery(new URL(issuer), clientId, { token_endpoint_auth_signing_alg: 'ES256' }, oidc.PrivateKeyJwt({ key: privateKey, kid: jwk.kid }), {
    execute: insecure ? [oidc.allowInsecureRequests] : [],
  });
  const dpopKeys = await oidc.randomDPoPKeyPair('ES256');
  const dpop = oidc.getDPoPHandle(config, dpopKeys);
  const cscBase = `${new URL(issuer).origin}/csc/v2`;
  const pending = new Map<string, { verifier: string; state: string; nonce: string }>();
  // "Central token management" (seed 003): one authorisation for the EHR, whichever terminal asks.
  let authorisation: { accessToken: string; expiresAt: number; credentialId: string } | undefined;

  const csc = async (method: string, body: unknown) => {
    const res = await oidc.fetchProtectedResource(config, authorisation!.accessToken, new URL(`${cscBase}/${method}`), 'POST', JSON.stringify(body), new Headers({ 'content-type': 'application/json' }), { DPoP: dpop });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(String(json.error ?? res.status));
    return json;
  };

  async function sign(count: number) {
    if (!authorisation || authorisation.expiresAt < Date.now()) return { signed: 0, verified: 0, certificateSubject: '', error: 'no authorisation' };
    let signed = 0;
    let verified = 0;
    let subject = '';
    try {
      const info = (await csc('credentials/info', { credentialID: authorisation.credentialId, certificates: 'chain', certInfo: true })) as {
        cert: { certificates: string[]; subjectDN: string };
      };
      subject = info.cert.subjectDN;
      const certificate = new crypto.X509Certificate(Buffer.from(info.cert.certificates[0]!, 'base64'));
      for (let i = 1; i <= count; i++) {
        const prescription = JSON.stringify({ type: 'e-prescription', number: i, drug: 'アムロジピン錠5mg', days: 28, at: new Date().toISOString() });
        const hash = crypto.createHash('sha256').update(prescription).digest();
        const { signatures } = (await csc('signatures/signHash', {
          credentialID: authorisation.credentialId,
          hashes: [hash.toString('base64')],
          hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
          signAlgo: certificate.publicKey.asymmetricKeyType === 'ec' ? '1.2.840.10045.4.3.2' : '1.2.840.113549.1.1.1',
          documentType: 'e-prescription',
        })) as { signatures: string[] };
        signed++;
        if (crypto.verify('sha256', Buffer.from(prescription), certificate.publicKey, Buffer.from(signatures[0]!, 'base64'))) verified++;
      }
    } catch (error) {
      // A refused token comes back as a WWW-Authenticate challenge; the CSC error code otherwise.
      const challenge = (error as { cause?: { parameters?: { error?: string } }[] }).cause;
      const code = Array.isArray(challenge) ? challenge[0]?.parameters?.error : undefined;
      return { signed, verified, certificateSubject: subject, error: code ?? (error as Error).message };
    }
    return { signed, verified, certificateSubject: subject };
  }

  return {
    jwks: { keys: [jwk] },
    sign,
    async handle(req, res, url, rpSession) {
      if (url.pathname === '/ehr/jwks') {
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
        res.end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      if (url.pathname === '/ehr/authorize') {
        const state = oidc.randomState();
        const check = { verifier: oidc.randomPKCECodeVerifier(), state, nonce: oidc.randomNonce() };
        pending.set(state, check);
        const target = await oidc.buildAuthorizationUrlWithPAR(config, {
          redirect_uri: `${rpUrl}/ehr/callback`,
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(check.verifier),
          code_challenge_method: 'S256',
          state,
          nonce: check.nonce,
          authorization_details: JSON.stringify([
            { type: 'credential', signatureQualifier: 'hpki-second-certificate', documentTypes: ['e-prescription'] },
          ]),
        }, { DPoP: dpop });
        res.writeHead(302, { location: target.href });
        res.end();
        return;
      }
      if (url.pathname === '/ehr/callback') {
        const check = pending.get(url.searchParams.get('state') ?? '');
        if (!check) throw new Error('no signing consent in progress');
        pending.delete(check.state);
        const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: check.verifier, expectedState: check.state, expectedNonce: check.nonce }, undefined, { DPoP: dpop });
        const details = (tokens.authorization_details ?? []) as { credentialID?: string }[];
        authorisation = { accessToken: tokens.access_token, expiresAt: Date.now() + (tokens.expires_in ?? 0) * 1000, credentialId: String(details[0]?.credentialID) };
        res.writeHead(302, { location: '/ehr' });
        res.end();
        return;
      }
      if (url.pathname === '/ehr/sign' && req.method === 'POST') {
        const count = Math.min(1000, Math.max(1, Number(url.searchParams.get('count') ?? 1)));
        const result = await sign(count);
        res.writeHead(result.error && result.signed === 0 ? 409 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result));
        return;
      }
      if (url.pathname === '/ehr') {
        void rpSession;
        const active = authorisation && authorisation.expiresAt > Date.now();
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          html(
            'デモ電子カルテ（リモート署名）',
            active
              ? `<p data-testid="ehr-status">authorised</p><p>認可の期限: <span data-testid="ehr-until">${new Date(authorisation!.expiresAt).toISOString()}</span></p>
<form method="post" action="/ehr/sign?count=1"><button class="button" data-testid="ehr-sign">処方箋に署名</button></form>`
              : `<p data-testid="ehr-status">not-authorised</p><a class="button" href="/ehr/authorize" data-testid="ehr-authorize">リモート署名を認可する（1日1回）</a>`,
          ),
        );
        return;
      }
      // No icon of its own: an empty answer, so browsers log no failed request.
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204, { 'cache-control': 'max-age=86400' });
        res.end();
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    },
  };
}
