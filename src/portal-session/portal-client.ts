import type { Db } from '../db/current.ts';
import type { KeyEncryptionKey } from '../crypto/key-encryption.ts';
import { upsertClient } from '../clients/clients.ts';

/** The portal logs in through its own provider like any other relying party (SPEC §6). */
export const PORTAL_CLIENT_ID = 'hpki-sso-portal';

export function portalClientSecret(kek: KeyEncryptionKey): string {
  // Derived, so every instance knows it without storing it anywhere else.
  return kek.derive('portal-client-secret').toString('base64url');
}

export async function ensurePortalClient(prisma: Db, kek: KeyEncryptionKey, publicUrl: string) {
  return upsertClient(prisma, {
    clientId: PORTAL_CLIENT_ID,
    name: 'HPKI SSO ポータル (HPKI SSO Portal)',
    secret: portalClientSecret(kek),
    redirectUris: [`${publicUrl}/portal/callback`],
    postLogoutRedirectUris: [`${publicUrl}/`],
    backchannelLogoutUri: `${publicUrl}/portal/backchannel-logout`,
    subjectType: 'public',
    scope: 'openid profile hcrole',
  });
}
