import type { Prisma } from '../generated/prisma/client.ts';
import { isPasskeyAmr, type EndedProviderSession } from '../auth/methods/passkey/passkey-device.ts';

type Tx = Prisma.TransactionClient;

export interface EndedSessions {
  portalSessions: number;
  providerSessions: EndedProviderSession[];
}

/**
 * Ends a practitioner's sessions inside the caller's transaction: every portal session, and every
 * provider `Session` with the grants, tokens and codes issued through it — or, with `passkeyOnly`
 * (the device was removed), only the sessions a passkey opened. The caller tells the linked services by back-channel logout after
 * the commit.
 */
export async function endPractitionerSessions(tx: Tx, practitionerId: string, options: { passkeyOnly?: boolean } = {}, now = new Date()): Promise<EndedSessions> {
  const rows = await tx.oidcPayload.findMany({
    where: { model: 'Session', payload: { path: ['accountId'], equals: practitionerId } },
    select: { id: true, payload: true },
  });
  const providerSessions: EndedProviderSession[] = [];
  for (const row of rows) {
    const payload = row.payload as { amr?: unknown; authorizations?: EndedProviderSession['authorizations'] };
    if (options.passkeyOnly && !isPasskeyAmr(payload.amr)) continue;
    const authorizations = payload.authorizations ?? {};
    const grantIds = Object.values(authorizations).flatMap((a) => (a.grantId ? [a.grantId] : []));
    if (grantIds.length) {
      await tx.oidcPayload.deleteMany({ where: { OR: [{ grantId: { in: grantIds } }, { model: 'Grant', id: { in: grantIds } }] } });
    }
    await tx.oidcPayload.delete({ where: { model_id: { model: 'Session', id: row.id } } });
    providerSessions.push({ accountId: practitionerId, authorizations });
  }
  const { count: portalSessions } = await tx.portalSession.updateMany({
    where: { practitionerId, endedAt: null, ...(options.passkeyOnly ? { amr: { hasSome: ['user'] } } : {}) },
    data: { endedAt: now, endReason: options.passkeyOnly ? 'device_change' : 'admin' },
  });
  return { portalSessions, providerSessions };
}
