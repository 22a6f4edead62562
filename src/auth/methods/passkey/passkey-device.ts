import type { Prisma } from '../../../generated/prisma/client.ts';
import { LOGIN_METHODS } from '../registry.ts';
import type { NewPasskeyDevice } from './verify-passkey-registration.ts';

type Tx = Prisma.TransactionClient;

/** A provider session ended by a device change; its linked services are told by back-channel logout. */
export interface EndedProviderSession {
  accountId: string;
  authorizations: Record<string, { sid?: string; grantId?: string }>;
}

export interface DeviceReplacement {
  removed: { id: string; aaguid: string; createdAt: Date } | null;
  registered: { id: string; aaguid: string };
  cancelledApprovals: number;
  endedPortalSessions: number;
  endedProviderSessions: EndedProviderSession[];
}

/** Whether a login's `amr` is one of the passkey methods' (same-device or cross-device). */
export function isPasskeyAmr(amr: unknown): boolean {
  if (!Array.isArray(amr)) return false;
  const key = [...amr].map(String).sort().join(' ');
  return LOGIN_METHODS.filter((m) => m.credential === 'passkey').some((m) => [...m.assurance.amr].sort().join(' ') === key);
}

/**
 * Makes `device` the practitioner's one passkey, inside the caller's transaction (SPEC §8): the old
 * credential is deleted (it can no longer log in), cross-device logins it approved but that the
 * terminal has not completed are cancelled, and every session that a passkey opened — the old
 * device's, since the new one has not logged in yet — ends: portal sessions and the provider's
 * sessions, with the grants (tokens) issued through them. The unique practitioner_id column keeps
 * one device per practitioner even against a concurrent registration.
 */
export async function replacePasskeyDevice(tx: Tx, practitionerId: string, device: NewPasskeyDevice, now = new Date()): Promise<DeviceReplacement> {
  const old = await tx.passkeyCredential.findUnique({ where: { practitionerId } });
  let cancelledApprovals = 0;
  if (old) {
    await tx.passkeyCredential.delete({ where: { id: old.id } });
    ({ count: cancelledApprovals } = await tx.crossDeviceRequest.updateMany({
      where: { credentialId: old.id, status: { in: ['pending', 'approved'] } },
      data: { status: 'cancelled', cancelledAt: now },
    }));
  }
  await tx.passkeyCredential.create({ data: { ...device, practitionerId } });

  const { count: endedPortalSessions } = await tx.portalSession.updateMany({
    where: { practitionerId, endedAt: null, amr: { hasSome: ['user'] } },
    data: { endedAt: now, endReason: 'device_change' },
  });
  const endedProviderSessions = await endPasskeyProviderSessions(tx, practitionerId);
  return {
    removed: old ? { id: old.id, aaguid: old.aaguid, createdAt: old.createdAt } : null,
    registered: { id: device.id, aaguid: device.aaguid },
    cancelledApprovals,
    endedPortalSessions,
    endedProviderSessions,
  };
}

/** oidc-provider `Session` rows of this practitioner whose login was a passkey, and their grants. */
async function endPasskeyProviderSessions(tx: Tx, practitionerId: string): Promise<EndedProviderSession[]> {
  const rows = await tx.oidcPayload.findMany({
    where: { model: 'Session', payload: { path: ['accountId'], equals: practitionerId } },
    select: { id: true, payload: true },
  });
  const ended: EndedProviderSession[] = [];
  for (const row of rows) {
    const payload = row.payload as { amr?: unknown; authorizations?: EndedProviderSession['authorizations'] };
    if (!isPasskeyAmr(payload.amr)) continue;
    const authorizations = payload.authorizations ?? {};
    const grantIds = Object.values(authorizations).flatMap((a) => (a.grantId ? [a.grantId] : []));
    if (grantIds.length) {
      await tx.oidcPayload.deleteMany({ where: { OR: [{ grantId: { in: grantIds } }, { model: 'Grant', id: { in: grantIds } }] } });
    }
    await tx.oidcPayload.delete({ where: { model_id: { model: 'Session', id: row.id } } });
    ended.push({ accountId: practitionerId, authorizations });
  }
  return ended;
}
