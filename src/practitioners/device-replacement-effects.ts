import type { Portal } from '../portal/portal.ts';
import type { DeviceReplacement, EndedProviderSession } from './passkey-device.ts';

/**
 * What follows a committed device replacement, whichever way it came (device-change page or a
 * registration code): linked services of the ended passkey sessions hear it by back-channel logout
 * (best effort), and the audit log records the removal and the registration.
 */
export async function recordDeviceReplacement(
  portal: Portal,
  replacement: DeviceReplacement,
  context: { practitionerId: string; ip?: string; via: 'device_change' | 'registration_code'; authorisedBy?: string },
): Promise<void> {
  const backchannel = await notifyLoggedOutServices(portal, replacement.endedProviderSessions);
  if (replacement.removed) {
    await portal.audit({
      event: 'device.removed',
      result: 'success',
      practitionerId: context.practitionerId,
      ip: context.ip,
      details: {
        credentialId: replacement.removed.id,
        aaguid: replacement.removed.aaguid,
        reason: context.via,
        cancelledApprovals: replacement.cancelledApprovals,
        endedPortalSessions: replacement.endedPortalSessions,
        endedProviderSessions: replacement.endedProviderSessions.length,
        backchannelLogouts: backchannel,
      },
    });
  }
  await portal.audit({
    event: 'device.registered',
    result: 'success',
    method: 'passkey',
    practitionerId: context.practitionerId,
    ip: context.ip,
    details: {
      credentialId: replacement.registered.id,
      aaguid: replacement.registered.aaguid,
      via: context.via,
      authorisedBy: context.authorisedBy ?? null,
      replaced: replacement.removed?.id ?? null,
    },
  });
}

async function notifyLoggedOutServices(portal: Portal, ended: EndedProviderSession[]) {
  const sent: { clientId: string; ok: boolean }[] = [];
  await Promise.all(
    ended.flatMap((session) =>
      Object.entries(session.authorizations).map(async ([clientId, { sid }]) => {
        const client = await portal.provider.Client.find(clientId).catch(() => undefined);
        if (!client?.backchannelLogoutUri) return;
        const logout = client as unknown as { backchannelLogout(sub: string, sid?: string): Promise<void> };
        try {
          await logout.backchannelLogout(session.accountId, sid);
          sent.push({ clientId, ok: true });
        } catch (error) {
          portal.log(`back-channel logout to ${clientId} after a device change failed: ${(error as Error).message}`);
          sent.push({ clientId, ok: false });
        }
      }),
    ),
  );
  return sent;
}
