import type { Portal } from './portal.ts';
import type { DeviceReplacement } from '../auth/methods/passkey/passkey-device.ts';
import { notifyBackchannelLogout } from '../oidc/notify-backchannel-logout.ts';

/**
 * What follows a committed device replacement, whichever way it came (device-change page or a
 * registration code): linked services of the ended passkey sessions hear it by back-channel logout
 * (best effort), and the audit log records the removal and the registration. It lives with the
 * running portal, not in src/practitioners, because it reaches the provider (src/oidc) and the audit log.
 */
export async function recordDeviceReplacement(
  portal: Portal,
  replacement: DeviceReplacement,
  context: { practitionerId: string; ip?: string; via: 'device_change' | 'registration_code'; authorisedBy?: string },
): Promise<void> {
  const backchannel = await notifyBackchannelLogout(portal.provider, replacement.endedProviderSessions, portal.log);
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
