import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { decodeProtectedHeader } from 'jose';
import { FAPI_CLIENT_ASSERTION_MAX_SECONDS, FAPI_SIGNING_ALGS } from '../clients/oauth-service-policy.ts';
import { clientSecretMatches } from '../crypto/client-secret.ts';

/*
 * How services authenticate at the endpoints that authenticate clients (token, PAR, introspection,
 * revocation), beyond what oidc-provider does by itself (issue 13 §14, §16).
 */

type OidcProvider = InstanceType<typeof Provider>;

/** A refused client authentication whose reason reaches the service as `error_description`. */
export function clientAuthRefusal(description: string): errors.InvalidClientAuth {
  const error = new errors.InvalidClientAuth(description);
  error.error_description = description;
  return error;
}

/** The request oidc-provider is handling (its AsyncLocalStorage), if any. */
function currentRequest(): KoaContextWithOIDC | undefined {
  return (Provider as unknown as { ctx?: KoaContextWithOIDC }).ctx;
}

/**
 * Only the registered method is accepted. oidc-provider already refuses a secret from a
 * private_key_jwt service and an assertion from a secret service, but it takes a client secret in
 * the Authorization header or in the body for both secret methods; here the header is
 * `client_secret_basic` only and the body `client_secret_post` only. (Its one place to look is the
 * secret comparison, which runs inside the request for every secret-authenticated client.)
 */
export function acceptOnlyRegisteredSecretMethod(provider: OidcProvider): void {
  const prototype = provider.Client.prototype as unknown as { compareClientSecret(secret: string): Promise<boolean> };
  prototype.compareClientSecret = function compareClientSecret(this: InstanceType<OidcProvider['Client']>, secret: string) {
    const ctx = currentRequest();
    if (ctx) {
      const presented = ctx.oidc.params?.client_secret !== undefined ? 'client_secret_post' : 'client_secret_basic';
      if (presented !== this.clientAuthMethod) {
        throw clientAuthRefusal(
          `client ${this.clientId} is registered with token_endpoint_auth_method ${this.clientAuthMethod}; ${presented} ` +
            `(the client secret in the ${presented === 'client_secret_post' ? 'request body' : 'Authorization header'}) is not accepted`,
        );
      }
    }
    // Stored as a hash only (src/crypto/client-secret.ts): compare what was presented, hashed.
    const stored = String((this as unknown as { clientSecret?: string }).clientSecret ?? '');
    return Promise.resolve(clientSecretMatches(secret, stored));
  };
}

/**
 * oidc-provider keeps why it refused a client or a grant in `error_detail` and answers only
 * "client authentication failed" / "grant request is invalid"; the service is told the reason.
 */
export function explainClientAndGrantRefusals(provider: OidcProvider): void {
  const events = ['grant.error', 'pushed_authorization_request.error', 'introspection.error', 'revocation.error'] as const;
  for (const event of events) {
    provider.on(event as 'grant.error', (ctx: KoaContextWithOIDC, error: errors.OIDCProviderError) => {
      const body = ctx.body as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object' || !['invalid_client', 'invalid_grant'].includes(String(body.error))) return;
      if (error.error === body.error && error.error_detail) body.error_description = error.error_detail;
    });
  }
}

const epoch = () => Math.floor(Date.now() / 1000);

/**
 * oidc-provider's `assertJwtClientAuthClaimsAndHeader`: after it verified a client assertion's
 * signature, issuer, expiry and audience (one of several accepted values), the FAPI 2.0 rules for a
 * FAPI service — the issuer identifier as the only audience, ES256/PS256, at most five minutes of
 * lifetime — and ES256/PS256 DPoP proofs on the same request. (`jti` single use is the provider's.)
 */
export async function assertClientAssertion(ctx: KoaContextWithOIDC, claims: Record<string, unknown>, header: Record<string, unknown>): Promise<void> {
  if (!ctx.oidc.isFapi('2.0')) return;
  if (typeof claims.aud !== 'string' || claims.aud !== ctx.oidc.issuer) {
    throw clientAuthRefusal(`client assertion audience (aud) must be the issuer identifier ${ctx.oidc.issuer} alone (FAPI 2.0): not the endpoint URL, not several values`);
  }
  if (!FAPI_SIGNING_ALGS.includes(String(header.alg))) {
    throw clientAuthRefusal(`client assertion must be signed with ${FAPI_SIGNING_ALGS.join(' or ')} (FAPI 2.0), not ${String(header.alg)}`);
  }
  const exp = Number(claims.exp);
  const issuedAt = typeof claims.iat === 'number' ? claims.iat : epoch();
  if (exp - issuedAt > FAPI_CLIENT_ASSERTION_MAX_SECONDS || exp - epoch() > FAPI_CLIENT_ASSERTION_MAX_SECONDS) {
    throw clientAuthRefusal(`client assertion lifetime must not exceed ${FAPI_CLIENT_ASSERTION_MAX_SECONDS} seconds (FAPI 2.0)`);
  }
  const proof = ctx.get('DPoP');
  if (proof) {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(proof).alg;
    } catch {
      // Malformed: oidc-provider's own DPoP validation answers it.
      return;
    }
    if (!FAPI_SIGNING_ALGS.includes(String(alg))) {
      throw new errors.InvalidDpopProof(`DPoP proof must be signed with ${FAPI_SIGNING_ALGS.join(' or ')} (FAPI 2.0), not ${String(alg)}`);
    }
  }
}
