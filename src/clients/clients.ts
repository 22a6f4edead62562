import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/current.ts';
import { DEFAULT_ID_TOKEN_ALG, FAPI_2_0, ID_TOKEN_ALGS } from './oauth-service-policy.ts';

/** A linked service as registered by the portal (the admin console comes later). */
export const newClientSchema = z.object({
  clientId: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/),
  name: z.string().min(1).max(200),
  redirectUris: z.array(z.string().url()).min(1),
  postLogoutRedirectUris: z.array(z.string().url()).default([]),
  backchannelLogoutUri: z.string().url().optional(),
  initiateLoginUri: z.string().url().optional(),
  subjectType: z.enum(['pairwise', 'public']).default('pairwise'),
  scope: z.string().default('openid profile hcrole offline_access'),
  /** How the service sends its secret: the Authorization header (default) or the request body. */
  authMethod: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
  idTokenAlg: z.enum(ID_TOKEN_ALGS).default(DEFAULT_ID_TOKEN_ALG),
  /** Omit for a newly generated secret; returned once. */
  secret: z.string().min(16).refine((s) => !s.startsWith('sha256:'), 'a secret may not look like a stored hash').optional(),
});
export type NewClient = z.input<typeof newClientSchema>;

/** Creates or updates a confidential client; the secret is returned so it can be shown once. */
export async function upsertClient(prisma: Db, input: NewClient): Promise<{ clientId: string; clientSecret: string }> {
  const c = newClientSchema.parse(input);
  const clientSecret = c.secret ?? crypto.randomBytes(32).toString('base64url');
  const metadata = {
    client_id: c.clientId,
    client_secret: clientSecret,
    client_name: c.name,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
    ...(c.initiateLoginUri ? { initiate_login_uri: c.initiateLoginUri } : {}),
    subject_type: c.subjectType,
    scope: c.scope,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: c.authMethod,
    id_token_signed_response_alg: c.idTokenAlg,
  };
  await prisma.oidcClient.upsert({
    where: { clientId: c.clientId },
    create: { clientId: c.clientId, name: c.name, metadata },
    update: { name: c.name, metadata },
  });
  return { clientId: c.clientId, clientSecret };
}

/**
 * An EHR server that may ask for remote-signing consent: confidential with private_key_jwt (its
 * public keys by JWKS URI or inline JWKS), DPoP-bound tokens, PAR required, `credential` details —
 * the FAPI 2.0 Security Profile (which a signing service gets even when `fapi_profile` is absent).
 */
export async function upsertSigningClient(
  prisma: Db,
  input: { clientId: string; name: string; redirectUris: string[]; jwksUri?: string; jwks?: { keys: object[] }; backchannelLogoutUri?: string },
) {
  if (!input.jwksUri === !input.jwks) throw new Error('an EHR signing client needs exactly one of jwksUri and jwks');
  const metadata = {
    client_id: input.clientId,
    client_name: input.name,
    redirect_uris: input.redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    ...(input.jwksUri ? { jwks_uri: input.jwksUri } : { jwks: input.jwks }),
    dpop_bound_access_tokens: true,
    require_pushed_authorization_requests: true,
    authorization_details_types: ['credential'],
    fapi_profile: FAPI_2_0,
    id_token_signed_response_alg: DEFAULT_ID_TOKEN_ALG,
    subject_type: 'public',
    scope: 'openid profile hcrole',
    ...(input.backchannelLogoutUri ? { backchannel_logout_uri: input.backchannelLogoutUri } : {}),
  };
  await prisma.oidcClient.upsert({
    where: { clientId: input.clientId },
    create: { clientId: input.clientId, name: input.name, metadata },
    update: { name: input.name, metadata },
  });
}
