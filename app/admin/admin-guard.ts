import { redirect } from 'next/navigation';
import { getPortalSession } from '@/app/components/portal-session';
import { db } from '@/src/db/current';

/**
 * The administrator behind this page request: anonymous people go to the portal login (and come
 * back), practitioners without the admin role get null (the page shows that it is not for them).
 * The JSON endpoints check the same again for every action.
 */
export async function requireAdminPage(returnTo: string) {
  const session = await getPortalSession();
  if (!session) redirect(`/portal/login?return=${encodeURIComponent(returnTo)}`);
  const p = await db().practitioner.findUnique({ where: { id: session.practitionerId } });
  return p?.isAdmin && !p.lockedAt ? p : null;
}
