import { z } from 'zod';
import { ACR } from '../auth/assurance.ts';
import { LOGIN_METHOD_IDS } from '../auth/methods/registry.ts';
import { RELEASABLE_CLAIMS, readServicePolicy } from '../clients/service-policy.ts';
import {
  DEFAULT_ID_TOKEN_ALG,
  FAPI_2_0,
  ID_TOKEN_ALGS,
  clientIdSchema,
  effectiveIdTokenAlg,
  introspectionResourceServers,
  isFapiService,
} from '../clients/oauth-service-policy.ts';

const uri = z.string().trim().url().max(2000);
const optionalUri = z.preprocess((v) => (v === '' || v === null ? undefined : v), uri.optional());

export const SERVICE_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export const SERVICE_SCOPE = 'openid profile hcrole offline_access';

/**
 * Metadata the form does not show but an edit must keep: what makes a service a remote-signing one
 * (SPEC §7, registered by `upsertSigningClient`) and its sender-constraining and assertion settings.
 */
export const KEPT_METADATA = ['authorization_details_types', 'dpop_bound_access_tokens', 'require_pushed_authorization_requests', 'token_endpoint_auth_signing_alg'] as const;

/**
 * What an administrator enters for a linked service. Parsed once at the boundary; the provider
 * then validates the metadata built from it (`Client.validate`) before anything is saved.
 */
export const serviceFormSchema = z
  .object({
    clientId: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, '3–64 letters, digits, ".", "_" or "-"'),
    name: z.string().trim().min(1).max(200),
    redirectUris: z.array(uri).min(1).max(20),
    postLogoutRedirectUris: z.array(uri).max(20).default([]),
    backchannelLogoutUri: optionalUri,
    initiateLoginUri: optionalUri,
    authMethod: z.enum(SERVICE_AUTH_METHODS).default('client_secret_basic'),
    /** For private_key_jwt: the service's public keys, or where it publishes them. */
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(20) }).optional(),
    jwksUri: optionalUri,
    subjectType: z.enum(['pairwise', 'public']).default('pairwise'),
    allowedHcRoles: z.array(z.string().trim().min(1).max(200)).max(50).default([]),
    minAcr: z.preprocess((v) => (v === '' || v === null ? undefined : v), z.enum([ACR.passkey, ACR.jpki, ACR.hpki]).optional()),
    /** Empty: every method this installation offers. */
    loginMethods: z.array(z.enum(LOGIN_METHOD_IDS)).default([]),
    releasedClaims: z.array(z.enum(RELEASABLE_CLAIMS)).default(['profile', 'hcRole', 'hpki', 'linked_account']),
    /** How ID tokens are signed: ES256 for a new service; RS256 stays available. */
    idTokenAlg: z.enum(ID_TOKEN_ALGS).default(DEFAULT_ID_TOKEN_ALG),
    /** The FAPI 2.0 Security Profile (always on for a remote-signing service). */
    fapi: z.boolean().default(false),
    /** Other services (client IDs) acting as resource servers that may introspect this service's access tokens. */
    introspectionResourceServers: z.array(z.string().trim().pipe(clientIdSchema)).max(20).default([]),
    /** The account-link API (client credentials, scope account_link): the service sets its own user IDs. */
    accountLinkApi: z.boolean().default(false),
  })
  .superRefine((form, ctx) => {
    if (form.authMethod === 'private_key_jwt' && !form.jwks === !form.jwksUri) {
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'private_key_jwt needs either a JWKS or a JWKS URI' });
    }
    if (form.authMethod !== 'private_key_jwt' && (form.jwks || form.jwksUri)) {
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'a JWKS is only used with private_key_jwt' });
    }
  });
export type ServiceForm = z.output<typeof serviceFormSchema>;
export type ServiceFormInput = z.input<typeof serviceFormSchema>;

/** The OIDC client metadata (with the service policy) for a form; a secret only for secret methods. */
export function serviceMetadata(form: ServiceForm, clientSecret: string | undefined): Record<string, unknown> {
  return {
    client_id: form.clientId,
    client_name: form.name,
    redirect_uris: form.redirectUris,
    post_logout_redirect_uris: form.postLogoutRedirectUris,
    ...(form.backchannelLogoutUri ? { backchannel_logout_uri: form.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
    ...(form.initiateLoginUri ? { initiate_login_uri: form.initiateLoginUri } : {}),
    subject_type: form.subjectType,
    scope: SERVICE_SCOPE,
    grant_types: ['authorization_code', 'refresh_token', ...(form.accountLinkApi ? ['client_credentials'] : [])],
    response_types: ['code'],
    token_endpoint_auth_method: form.authMethod,
    ...(form.authMethod === 'private_key_jwt' ? (form.jwks ? { jwks: form.jwks } : { jwks_uri: form.jwksUri }) : { client_secret: clientSecret }),
    id_token_signed_response_alg: form.idTokenAlg,
    // FAPI 2.0: PAR required and DPoP-bound tokens (the provider completes any stored service alike).
    ...(form.fapi ? { fapi_profile: FAPI_2_0, require_pushed_authorization_requests: true, dpop_bound_access_tokens: true } : {}),
    ...(form.introspectionResourceServers.length ? { introspection_resource_servers: form.introspectionResourceServers } : {}),
    ...(form.allowedHcRoles.length ? { allowed_hc_roles: form.allowedHcRoles } : {}),
    ...(form.minAcr ? { min_acr: form.minAcr } : {}),
    ...(form.loginMethods.length ? { login_methods: form.loginMethods } : {}),
    released_claims: form.releasedClaims,
  };
}

/** The form as it would be filled in for a stored service (the edit page). Never the secret. */
export function serviceFormFromMetadata(clientId: string, name: string, metadata: Record<string, unknown>): ServiceForm {
  const policy = readServicePolicy(metadata);
  const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const method = SERVICE_AUTH_METHODS.find((m) => m === metadata.token_endpoint_auth_method) ?? 'client_secret_basic';
  return {
    clientId,
    name,
    redirectUris: strings(metadata.redirect_uris),
    postLogoutRedirectUris: strings(metadata.post_logout_redirect_uris),
    backchannelLogoutUri: typeof metadata.backchannel_logout_uri === 'string' ? metadata.backchannel_logout_uri : undefined,
    initiateLoginUri: typeof metadata.initiate_login_uri === 'string' ? metadata.initiate_login_uri : undefined,
    authMethod: method,
    jwks: metadata.jwks as ServiceForm['jwks'],
    jwksUri: typeof metadata.jwks_uri === 'string' ? metadata.jwks_uri : undefined,
    subjectType: metadata.subject_type === 'public' ? 'public' : 'pairwise',
    allowedHcRoles: policy.allowed_hc_roles ?? [],
    minAcr: policy.min_acr,
    loginMethods: policy.login_methods ?? [],
    releasedClaims: policy.released_claims ?? ['profile', 'hcRole', 'hpki', 'linked_account'],
    // A stored service that names no algorithm was registered when RS256 was the default, and keeps it.
    idTokenAlg: effectiveIdTokenAlg(metadata),
    fapi: isFapiService(metadata),
    introspectionResourceServers: introspectionResourceServers(metadata),
    accountLinkApi: strings(metadata.grant_types).includes('client_credentials'),
  };
}
