import * as oidc from 'openid-client';
import { EncryptJWT, jwtDecrypt, jwtVerify, createRemoteJWKSet } from 'jose';
import { PortalError } from '../errors/portal-error.ts';
import { PORTAL_CLIENT_ID, portalClientSecret } from './portal-client.ts';
import { createPortalSession, endPortalSessionsBySid, type SessionLimits } from './portal-sessions.ts';
import type { Db } from '../db/current.ts';
import type { KeyEncryptionKey } from '../crypto/key-encryption.ts';
import type { Environment } from '../config/environment.ts';

const LOGIN_STATE_SECONDS = 15 * 60;

/** What the portal's own relying party uses of the running portal. */
export interface PortalRelyingPartyHost {
  prisma: Db;
  kek: KeyEncryptionKey;
  env: Pick<Environment, 'host' | 'port' | 'publicUrl' | 'issuer'> & SessionLimits;
}

/** Only a path on this site may be returned to after login. */
export function safeReturnPath(value: string | null | undefined): string {
  return value && /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/';
}

/**
 * The portal as a relying party of its own provider, with openid-client like any other service:
 * authorization code + PKCE, state and nonce in a short encrypted cookie. Calls to the provider go
 * to this process's own listener, whatever PUBLIC_URL points at (a proxy, TLS).
 */
export class PortalRelyingParty {
  private configuration: Promise<oidc.Configuration> | undefined;
  private readonly stateKey: Uint8Array;
  private readonly internalOrigin: string;

  constructor(private readonly portal: PortalRelyingPartyHost) {
    this.stateKey = new Uint8Array(portal.kek.derive('portal-login-state'));
    const host = ['0.0.0.0', '::', ''].includes(portal.env.host) ? '127.0.0.1' : portal.env.host;
    this.internalOrigin = `http://${host.includes(':') ? `[${host}]` : host}:${portal.env.port}`;
  }

  private internalFetch: oidc.CustomFetch = (url, options) => {
    const target = new URL(url);
    const publicOrigin = new URL(this.portal.env.publicUrl).origin;
    const rewritten = target.origin === publicOrigin ? `${this.internalOrigin}${target.pathname}${target.search}` : url;
    return fetch(rewritten, options as RequestInit);
  };

  /**
   * Discovery over the internal listener. oidc-provider names its endpoints after the Host of the
   * request, so the internal origin in them is put back to the public one the browser uses.
   */
  private config(): Promise<oidc.Configuration> {
    this.configuration ??= (async () => {
      const response = await fetch(`${this.internalOrigin}/oidc/.well-known/openid-configuration`);
      if (!response.ok) throw new Error(`discovery failed: HTTP ${response.status}`);
      const publicOrigin = new URL(this.portal.env.publicUrl).origin;
      const metadata = JSON.parse(
        JSON.stringify(await response.json(), (_key, value) =>
          typeof value === 'string' && value.startsWith(this.internalOrigin) ? publicOrigin + value.slice(this.internalOrigin.length) : value,
        ),
      ) as oidc.ServerMetadata;
      if (metadata.issuer !== this.portal.env.issuer) throw new Error(`discovery names issuer ${metadata.issuer}`);
      const config = new oidc.Configuration(metadata, PORTAL_CLIENT_ID, undefined, oidc.ClientSecretBasic(portalClientSecret(this.portal.kek)));
      oidc.allowInsecureRequests(config);
      config[oidc.customFetch] = this.internalFetch;
      return config;
    })().catch((error) => {
      this.configuration = undefined;
      throw error;
    });
    return this.configuration;
  }

  /** Where to send the browser to log in, and the cookie that remembers this attempt. */
  async beginLogin(options: { returnTo: string; maxAge?: number; acrValues?: string; prompt?: string }) {
    const config = await this.config();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const params: Record<string, string> = {
      redirect_uri: `${this.portal.env.publicUrl}/portal/callback`,
      scope: 'openid profile hcrole',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (options.maxAge !== undefined) params.max_age = String(options.maxAge);
    if (options.acrValues) params.acr_values = options.acrValues;
    if (options.prompt) params.prompt = options.prompt;
    const location = oidc.buildAuthorizationUrl(config, params);
    const cookie = await new EncryptJWT({ verifier, state, nonce, returnTo: safeReturnPath(options.returnTo), maxAge: options.maxAge })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt()
      .setExpirationTime(`${LOGIN_STATE_SECONDS}s`)
      .encrypt(this.stateKey);
    // The browser arrives at the provider's public address.
    return { location: location.href, cookie };
  }

  /** Exchanges the code, checks state, nonce and (when asked) max_age, and opens a portal session. */
  async finishLogin(callbackUrl: URL, stateCookie: string | undefined) {
    if (!stateCookie) throw new PortalError('login_required', 400, 'no login in progress');
    let state: { verifier: string; state: string; nonce: string; returnTo: string; maxAge?: number };
    try {
      ({ payload: state } = (await jwtDecrypt(stateCookie, this.stateKey)) as unknown as { payload: typeof state });
    } catch {
      throw new PortalError('login_required', 400, 'login state expired');
    }
    const error = callbackUrl.searchParams.get('error');
    if (error) throw new PortalError(error === 'access_denied' ? 'access_denied' : 'login_required', 400, error);
    const config = await this.config();
    let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: state.verifier,
        expectedState: state.state,
        expectedNonce: state.nonce,
        maxAge: state.maxAge,
      });
    } catch (e) {
      throw new PortalError('invalid_grant', 400, (e as Error).message);
    }
    const claims = tokens.claims()!;
    const sessionId = await createPortalSession(this.portal.prisma, {
      practitionerId: claims.sub,
      authTime: new Date(Number(claims.auth_time) * 1000),
      amr: Array.isArray(claims.amr) ? claims.amr.map(String) : [],
      acr: String(claims.acr ?? ''),
      sid: typeof claims.sid === 'string' ? claims.sid : null,
    }, this.portal.env);
    return { sessionId, returnTo: safeReturnPath(state.returnTo), practitionerId: claims.sub, authTime: new Date(Number(claims.auth_time) * 1000) };
  }

  /** Verifies a back-channel logout token from our provider and ends the matching portal sessions. */
  async backchannelLogout(logoutToken: string): Promise<number> {
    const jwks = createRemoteJWKSet(new URL(`${this.internalOrigin}/oidc/jwks`));
    const { payload } = await jwtVerify(logoutToken, jwks, { issuer: this.portal.env.issuer, audience: PORTAL_CLIENT_ID, typ: 'logout+jwt' });
    const events = payload.events as Record<string, unknown> | undefined;
    if (!events?.['http://schemas.openid.net/event/backchannel-logout'] || 'nonce' in payload || typeof payload.sid !== 'string') {
      throw new PortalError('invalid_request', 400, 'not a logout token with a sid');
    }
    return endPortalSessionsBySid(this.portal.prisma, payload.sid);
  }
}
