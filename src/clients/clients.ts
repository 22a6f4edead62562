import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/current.ts';

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
  /** Omit for a newly generated secret; returned once. */
  secret: z.string().min(16).optional(),
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
    token_endpoint_auth_method: 'client_secret_basic',
  };
  await prisma.oidcClient.upsert({
    where: { clientId: c.clientId },
    create: { clientId: c.clientId, name: c.name, metadata },
    update: { name: c.name, metadata },
  });
  return { clientId: c.clientId, clientSecret };
}
