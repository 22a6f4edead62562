import type { SqlQueryable } from '@prisma/driver-adapter-utils';
import crypto from 'node:crypto';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Db } from '../db/current.ts';
import type { KeyEncryptionKey } from '../crypto/key-encryption.ts';
import type { OutboundFetch } from '../net/outbound-fetch.ts';
import { ACR } from '../auth/assurance.ts';
import { findAccountIn } from './account.ts';
import { newestConsentGrantId, prismaAdapterFactory } from './prisma-adapter.ts';
import { errorPageRenderer, logoutPageRenderer, logoutSuccessPageRenderer } from './provider-pages.ts';
import { PORTAL_CLIENT_ID } from '../portal-session/portal-client.ts';
import { SERVICE_POLICY_PROPERTIES, validateServicePolicyProperty } from '../clients/service-policy.ts';
import { OAUTH_POLICY_PROPERTIES, applyOAuthServicePolicy, introspectionResourceServers, isFapiService } from '../clients/oauth-service-policy.ts';
import { assertClientAssertion } from './client-authentication.ts';
import { errors } from 'oidc-provider';
import { SIGNING_DETAIL_TYPE, isSigningDetail, signingDetailProblem } from '../signing/signing-authorisation-details.ts';
import { recordSigningAuthorisation, signingTokenSeconds } from '../signing/signing-authorisations.ts';
import { secondsUntilWindowEnd, type DailyWindow } from '../config/daily-window.ts';

/**
 * Every policy of the OpenID Provider, top to bottom. Behaviour lives in small named functions;
 * everything else is data (the style of node-oidc-provider's own configuration).
 */
export interface ProviderDependencies {
  prisma: () => Db;
  sql: () => SqlQueryable;
  kek: KeyEncryptionKey;
  jwks: { keys: JWK[] };
  /**
   * The portal's outbound fetch (src/net/outbound-fetch.ts): JWKS URIs and back-channel logout go
   * through the same destination, redirect, size and time policy as CRL and OCSP requests.
   */
  fetch: OutboundFetch;
  /**
   * DAILY_WINDOW: one login's SSO session, its refresh tokens and any remote-signing authorisation
   * approved in it all end at the same instant (src/config/daily-window.ts).
   */
  dailyWindow: DailyWindow;
  /** Resource indicator of the CSC signing API (PUBLIC_URL/csc/v2). */
  signingResource: string;
  /**
   * Resource indicator of the service account-link API (PUBLIC_URL/api/services/self): a linked
   * service's own client-credentials token sets its user ID for practitioners (issue 17 §7).
   */
  accountLinkResource: string;
  /** Demo mode: the provider's own pages show the demo banner too. */
  demo: boolean;
  /** REFRESH_TOKEN_RETRY_SECONDS: a spent refresh token may be retried this long (refresh-token-retry.ts, installed in provider.ts). */
  refreshRetrySeconds: number;
}

/**
 * Lifetimes in seconds. Sessions on shared hospital terminals end within a working day (AAL3: ≤ 12 h):
 * Session and RefreshToken are replaced below by the end of the daily window (DAILY_WINDOW).
 */
export const TTL = {
  AuthorizationCode: 60,
  PushedAuthorizationRequest: 60,
  Interaction: 15 * 60,
  AccessToken: 10 * 60,
  IdToken: 10 * 60,
  Session: 12 * 3600,
  RefreshToken: 12 * 3600,
  Grant: 30 * 24 * 3600,
  ClientCredentials: 10 * 60,
} as const;

/** Largest JWKS or sector document the provider reads from a service (a JWKS of a few keys is ~2 KiB). */
const OUTBOUND_MAX_BYTES = 256 * 1024;
/** Time for a JWKS fetch or a back-channel logout call, body included. */
const OUTBOUND_TIMEOUT_MS = 5_000;

export const SCOPES = ['openid', 'profile', 'hcrole', 'offline_access'] as const;

export const CLAIMS = {
  // How and when the person authenticated travels with every ID token.
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: [
    'birthdate',
    'name',
    'family_name',
    'given_name',
    'name#ja-Hani-JP',
    'family_name#ja-Hani-JP',
    'given_name#ja-Hani-JP',
    'linked_account',
  ],
  hcrole: ['hcRole', 'hpki'],
};

/** Seconds from now until the daily window opened at `authTime` (epoch seconds) ends: never moved by use. */
export function secondsUntilAbsoluteEnd(authTime: number | undefined, window: DailyWindow, now = Date.now()): number {
  if (!authTime) return TTL.Interaction;
  // oidc-provider needs a positive lifetime; one second is "already over" for every reader.
  return secondsUntilWindowEnd(window, authTime, now);
}

/** auth_time of the login behind the authorization code being exchanged (the start of its daily window). */
function codeAuthTime(ctx: KoaContextWithOIDC): number | undefined {
  return (ctx.oidc.entities.AuthorizationCode as { authTime?: number } | undefined)?.authTime;
}

/**
 * The pairwise `sub` of an account for a sector (a service's redirect host or sector_identifier_uri):
 * a keyed hash, so only the provider can compute it, and the account-link API can find which of a
 * service's link requests a `sub` names.
 */
export function pairwiseSubjectFunction(kek: KeyEncryptionKey): (accountId: string, sectorIdentifier: string | undefined) => string {
  const pairwiseSalt = kek.derive('pairwise-subject');
  return (accountId, sectorIdentifier) => crypto.createHmac('sha256', pairwiseSalt).update(`${sectorIdentifier}|${accountId}`).digest('base64url');
}

/** Scope of the account-link API's tokens. */
export const ACCOUNT_LINK_SCOPE = 'account_link';

export function providerConfiguration(deps: ProviderDependencies): Configuration {
  const signingResource = deps.signingResource;
  const accountLinkResource = deps.accountLinkResource;
  const pairwiseSubject = pairwiseSubjectFunction(deps.kek);
  const pages = { demo: deps.demo };
  return {
    adapter: prismaAdapterFactory(deps.prisma, deps.sql, deps.kek),
    findAccount: findAccountIn(deps.prisma, deps.sql),
    jwks: deps.jwks as Configuration['jwks'],
    cookies: {
      // Derived from the key-encryption key, so every instance signs cookies alike.
      keys: [deps.kek.derive('cookie-keys-v1').toString('base64url')],
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },

    // Clients live in the database (oidc_client); defaults apply to every one of them. New services
    // are saved with ES256 ID tokens (admin console, upsertClient); a stored service that names no
    // algorithm keeps RS256, as it was registered.
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      subject_type: 'pairwise',
    },
    responseTypes: ['code'],
    scopes: [...SCOPES],
    claims: CLAIMS,
    // The ID token carries the profile and hcRole claims the client was granted, not only userinfo.
    conformIdTokenClaims: false,
    acrValues: [ACR.passkey, ACR.jpki, ACR.hpki],
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier: async (_ctx, accountId, client) => pairwiseSubject(accountId, client.sectorIdentifier as string | undefined),

    // Authorization code flow only, with PKCE S256 for every client, and redirect_uri always named
    // (OAuth 2.1): at the authorization endpoint, in PAR, and at the token endpoint, even when the
    // client has a single registered redirect URI.
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Every refresh hands out a new refresh token; the old one is spent (reuse revokes the grant),
    // except a retry within REFRESH_TOKEN_RETRY_SECONDS before the new one is used (refresh-token-retry.ts).
    rotateRefreshToken: true,
    // A remote-signing consent is a separate consent with its own window (SPEC §7): its code and
    // tokens do not end with the SSO session (and a logout does not revoke it). Others follow
    // oidc-provider's default: they end with the session unless offline access was granted.
    // (oidc-provider asks before it copies the grant's details onto the code: read them from the grant.)
    expiresWithSession: async (ctx, source) =>
      ![...((source as { rar?: unknown[] }).rar ?? []), ...(ctx.oidc.grant?.rar ?? [])].some(isSigningDetail) && !source.scopes.has('offline_access'),
    ttl: {
      ...TTL,
      // Fixed at the end of the login's daily window: saving the session on every use never extends it.
      Session: (_ctx, session) => secondsUntilAbsoluteEnd(session.loginTs, deps.dailyWindow),
      // A rotated refresh token inherits auth_time, so rotation never extends the login either.
      RefreshToken: (_ctx, token) => secondsUntilAbsoluteEnd(token.authTime, deps.dailyWindow),
      // A remote-signing consent ends with the login's daily window (seed 003), or sooner when the EHR asked less.
      AccessToken: (ctx, token) => {
        const signing = (token.rar ?? []).filter(isSigningDetail);
        return signing.length === 0 ? TTL.AccessToken : signingTokenSeconds(signing, deps.dailyWindow, codeAuthTime(ctx));
      },
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      dPoPSigningAlgValues: ['ES256', 'PS256', 'RS256'],
    },
    // Each service authenticates only with its registered method (client-authentication.ts holds the
    // secret-method check); a FAPI service's client assertion: issuer as sole audience, ES256/PS256, ≤ 5 min.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    assertJwtClientAuthClaimsAndHeader: assertClientAssertion,
    // Per-service policy set by administrators: allowed hcRoles, minimum acr, methods, released claims;
    // the FAPI 2.0 profile and the resource servers that may introspect its tokens.
    extraClientMetadata: {
      properties: [...SERVICE_POLICY_PROPERTIES, ...OAUTH_POLICY_PROPERTIES],
      validator(_ctx, key, value, metadata) {
        const problem = validateServicePolicyProperty(key, value) ?? applyOAuthServicePolicy(key, value, metadata as Record<string, unknown>);
        if (problem) throw new errors.InvalidClientMetadata(problem);
      },
    },

    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      dPoP: { enabled: true },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      // A token is introspected only by its own client, and an access token also by the resource
      // servers that client names; anyone else learns nothing (not even another service's pairwise sub).
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, caller, token) => {
          if (token.clientId === caller.clientId) return true;
          if (token.kind !== 'AccessToken' || !token.clientId) return false;
          const owner = await ctx.oidc.provider.Client.find(token.clientId);
          return introspectionResourceServers(owner?.metadata()).includes(caller.clientId);
        },
      },
      // FAPI 2.0 Security Profile per service: chosen in the console, always for remote signing.
      // oidc-provider applies its part (PKCE, redirect_uri, no access tokens in queries); the client
      // assertion rules are assertClientAssertion's, and the service's metadata is completed by
      // applyOAuthServicePolicy (PAR required, DPoP-bound tokens, ES256/PS256).
      fapi: { enabled: true, profile: (_ctx, client) => (client && isFapiService(client.metadata()) ? '2.0' : undefined) },
      claimsParameter: { enabled: true },
      backchannelLogout: { enabled: true },
      // A linked service's own token (client credentials grant, RFC 6749 §4.4), with its registered
      // client authentication, for the account-link API only; allowed when its grant_types name it.
      clientCredentials: { enabled: true },
      // Two resource servers: the signing API (remote-signing tokens, from a practitioner's consent)
      // and the account-link API (a service's own client-credentials token); neither grant reaches the other.
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, _client, oneOf) =>
          oneOf ??
          (ctx.oidc.params?.grant_type === 'client_credentials' ? accountLinkResource : ctx.oidc.params?.authorization_details ? signingResource : undefined),
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource) => {
          const clientCredentials = ctx.oidc.params?.grant_type === 'client_credentials';
          if (resource === signingResource && !clientCredentials) return { scope: 'signing', audience: signingResource, accessTokenFormat: 'opaque' };
          if (resource === accountLinkResource && clientCredentials) {
            return { scope: ACCOUNT_LINK_SCOPE, audience: accountLinkResource, accessTokenFormat: 'opaque', accessTokenTTL: TTL.ClientCredentials };
          }
          throw new errors.InvalidTarget('unknown resource');
        },
      },
      // Remote signing consent (RFC 9396), CSC API v2 `credential`-shaped details.
      richAuthorizationRequests: {
        enabled: true,
        types: {
          [SIGNING_DETAIL_TYPE]: {
            async validate(_ctx, detail, client) {
              const problem = signingDetailProblem(detail);
              if (problem) throw new errors.InvalidAuthorizationDetails(problem);
              // Only a confidential EHR server with sender-constrained tokens may ask to sign.
              if (client.clientAuthMethod !== 'private_key_jwt' || !client.dpopBoundAccessTokens) {
                throw new errors.InvalidAuthorizationDetails('remote signing needs private_key_jwt and DPoP-bound access tokens');
              }
            },
          },
        },
        authorizationDetailsForGrantSource: (ctx) => ctx.oidc.grant?.rar ?? [],
        async authorizationDetailsForAccessToken(ctx, token, source, grantType) {
          // A signing authorisation is never extended by a refresh: one consent, one window.
          if (grantType === 'refresh_token') return [];
          const details = (source?.rar ?? []).filter(isSigningDetail);
          if (details.length) {
            if (!token.jkt) throw new errors.InvalidGrant('remote-signing access tokens must be DPoP-bound');
            // Recorded before the token is returned, so the first signHash finds it.
            await recordSigningAuthorisation(
              deps.prisma(),
              {
                grantId: String((token as { grantId?: string }).grantId),
                accountId: String((token as { accountId?: string }).accountId),
                clientId: ctx.oidc.client!.clientId,
                // The token's own exp (iat + ttl, in whole seconds): the window's end unless the EHR asked less.
                expiresAt: new Date((Math.floor(Date.now() / 1000) + signingTokenSeconds(details, deps.dailyWindow, codeAuthTime(ctx))) * 1000),
              },
              details,
            );
          }
          return source?.rar ?? [];
        },
        authorizationDetailsForIntrospection: (_ctx, token) => token.rar ?? [],
      },
      rpInitiatedLogout: {
        enabled: true,
        // A valid ID token hint naming this browser's person logs out of everything without a question.
        logoutSource: logoutPageRenderer(pages, async (ctx) => {
          const hint = ctx.oidc.entities.IdTokenHint as { payload?: { sub?: unknown } } | undefined;
          const { client, session } = ctx.oidc;
          if (!hint?.payload || !client || !session?.accountId) return false;
          const sub = client.subjectType === 'pairwise' ? pairwiseSubject(session.accountId, client.sectorIdentifier as string | undefined) : session.accountId;
          return hint.payload.sub === sub;
        }),
        postLogoutSuccessSource: logoutSuccessPageRenderer(pages),
      },
    },

    // A practitioner consents to a service once, not once per browser session: the newest live
    // grant of this account and client is reused. The portal itself is first-party (no consent).
    // A remote-signing request is asked every time regardless (oidc-provider's rar_prompt).
    // A logout (RP-initiated or the portal's) ends sessions and revokes their codes and tokens, but
    // keeps the grant: it is the practitioner's consent, not a login (issue 16 §9). Revoking a refresh
    // token, or its reuse, still removes the grant, as oidc-provider does by default.
    revokeGrantPolicy: (ctx) => !ctx.oidc.route.startsWith('end_session') && !(ctx.oidc.route === 'revocation' && ctx.oidc.entities.AccessToken),

    loadExistingGrant: async (ctx) => {
      const { client, session } = ctx.oidc;
      const consented = ctx.oidc.result?.consent?.grantId;
      if (consented) return ctx.oidc.provider.Grant.find(consented);
      // A remote-signing request starts from a fresh grant: earlier authorisations never come back.
      if (ctx.oidc.params?.authorization_details) return undefined;
      const grantId = session!.grantIdFor(client!.clientId);
      const found = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      // A remote-signing grant answers no later request: its window is its own.
      const existing = found?.rar?.length ? undefined : found;
      if (existing || !session!.accountId) return existing;
      if (client!.clientId === PORTAL_CLIENT_ID) {
        const grant = new ctx.oidc.provider.Grant({ clientId: PORTAL_CLIENT_ID, accountId: session!.accountId });
        grant.addOIDCScope('openid profile hcrole');
        await grant.save();
        return grant;
      }
      // The newest consent of this practitioner to this service that is not a remote-signing one;
      // oidc-provider then asks only for what it lacks (new scopes, claims or details).
      const earlier = await newestConsentGrantId(deps.sql(), session!.accountId, client!.clientId);
      return earlier ? ctx.oidc.provider.Grant.find(earlier) : undefined;
    },

    interactions: {
      url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}`,
    },
    renderError: errorPageRenderer(pages),
    // The provider's own SSRF guard (its dispatcher) gives way to the portal's outbound policy:
    // special-use destinations refused unless in PRIVATE_FETCH_HOSTS, redirects to the same host
    // only (back-channel logout asks for none), bounded size and time (the provider adds 2.5 s).
    fetch: (url, options) => {
      const { dispatcher: _guard, ...init } = options as RequestInit & { dispatcher?: unknown };
      return deps.fetch(url, { ...init, timeoutMs: OUTBOUND_TIMEOUT_MS, maxResponseBytes: OUTBOUND_MAX_BYTES });
    },
    fetchResponseBodyLimits: {
      'client_id metadata document': 5 * 1024,
      jwks_uri: OUTBOUND_MAX_BYTES,
      sector_identifier_uri: OUTBOUND_MAX_BYTES,
    },
  };
}
