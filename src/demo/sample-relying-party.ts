import http from 'node:http';
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createSampleEhr, type SampleEhr } from './sample-ehr.ts';
import { escapeHtml, sendNotFound, sendPage } from './sample-page.ts';

/**
 * A small relying party (a stand-in for a regional EHR network) built only on `openid-client`:
 * PAR + PKCE login, ID token and userinfo display, refresh, RP-initiated logout, and a back-channel
 * logout endpoint. On request its server also hosts the sample EHR (sample-ehr.ts) under /ehr.
 * `npm run demo:rp` runs it; the end-to-end tests drive it too.
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

const TITLE = 'デモ地域医療連携ネットワーク';

/** What the network says when the portal sends the person back with an error instead of a login. */
const LOGIN_ERROR_SENTENCES: Record<string, string> = {
  access_denied: 'ログインを取りやめました。このサービスを使うときは、もう一度「HPKI SSO でログイン」を押してください。',
  login_required: 'ログインしていません。「HPKI SSO でログイン」を押してログインしてください。',
  default: 'ログインできませんでした。もう一度お試しください。続く場合は、お問い合わせ用コードを添えて管理者にご連絡ください。',
};

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
    return id ? sessions.get(id) : undefined;
  };

  const ehr = options.ehr ? await createSampleEhr({ issuer: options.issuer, clientId: options.ehr.clientId, baseUrl: rpUrl }) : undefined;

  const handler: http.RequestListener = async (req, res) => {
    const url = new URL(req.url ?? '/', rpUrl);
    try {
      if (ehr && url.pathname.startsWith('/ehr')) {
        await ehr.handle(req, res, url);
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
        const sentence = LOGIN_ERROR_SENTENCES[code] ?? LOGIN_ERROR_SENTENCES.default!;
        // The person reads a sentence; the raw code stays in a small line for the help desk.
        sendPage(
          res,
          TITLE,
          `<p data-testid="rp-error-message" style="font-size:1.25rem">${escapeHtml(sentence)}</p><a class="button" href="/login" data-testid="rp-login">HPKI SSO でログイン</a><p style="font-size:.8rem;color:#475569">お問い合わせ用コード：<span data-testid="rp-status">login-error</span> / <code data-testid="rp-error">${escapeHtml(code)}</code></p>`,
        );
        return;
      }
      if (url.pathname === '/callback') {
        const session = sessionOf(req);
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
        const session = sessionOf(req);
        if (!session?.tokens?.refreshToken) throw new Error('no refresh token');
        const tokens = await oidc.refreshTokenGrant(config, session.tokens.refreshToken);
        session.tokens = { idToken: tokens.id_token ?? session.tokens.idToken, accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
        session.userinfo = { ...(await oidc.fetchUserInfo(config, tokens.access_token, String(session.claims?.sub))) };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ refreshed: true, userinfo: session.userinfo, rotated: tokens.refresh_token !== undefined }));
        return;
      }
      if (url.pathname === '/logout') {
        const session = sessionOf(req);
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
        const session = sessionOf(req);
        const loggedIn = session?.claims && !session.loggedOutByOp;
        sendPage(
          res,
          TITLE,
          loggedIn
            ? `<p data-testid="rp-status">logged-in</p><h2>ID token</h2><pre data-testid="id-token-claims">${escapeHtml(JSON.stringify(session.claims, null, 2))}</pre>
<h2>UserInfo</h2><pre data-testid="userinfo">${escapeHtml(JSON.stringify(session.userinfo, null, 2))}</pre><a class="button" href="/logout" data-testid="rp-logout">ログアウト</a>`
            : `<p data-testid="rp-status">${session?.loggedOutByOp ? 'logged-out-by-op' : 'anonymous'}</p><a class="button" href="/login" data-testid="rp-login">HPKI SSO でログイン</a>`,
        );
        return;
      }
      // No icon of its own: an empty answer, so browsers log no failed request.
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204, { 'cache-control': 'max-age=86400' });
        res.end();
        return;
      }
      sendNotFound(res);
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
