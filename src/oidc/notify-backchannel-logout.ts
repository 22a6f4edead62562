import type { OidcProvider } from './provider.ts';
import type { EndedProviderSession } from '../auth/methods/passkey/passkey-device.ts';

export interface BackchannelResult {
  clientId: string;
  ok: boolean;
}

/**
 * Tells every linked service of the ended provider sessions that the practitioner is logged out
 * (OpenID Connect back-channel logout), best effort: a service that cannot be reached is reported,
 * never a reason to keep a session the administrator ended.
 */
export async function notifyBackchannelLogout(provider: OidcProvider, ended: EndedProviderSession[], log: (line: string) => void): Promise<BackchannelResult[]> {
  const sent: BackchannelResult[] = [];
  await Promise.all(
    ended.flatMap((session) =>
      Object.entries(session.authorizations).map(async ([clientId, { sid }]) => {
        const client = await provider.Client.find(clientId).catch(() => undefined);
        if (!client?.backchannelLogoutUri) return;
        const logout = client as unknown as { backchannelLogout(sub: string, sid?: string): Promise<void> };
        try {
          await logout.backchannelLogout(session.accountId, sid);
          sent.push({ clientId, ok: true });
        } catch (error) {
          log(`back-channel logout to ${clientId} failed: ${(error as Error).message}`);
          sent.push({ clientId, ok: false });
        }
      }),
    ),
  );
  return sent;
}
