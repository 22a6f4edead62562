import { getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';
import { db } from '@/src/db/current';
import { listTrustMaterial } from '@/src/admin/trust-material';
import { PORTAL_CLIENT_ID } from '@/src/portal-session/portal-client';
import { listPractitionersWithoutDevice } from '@/src/admin/practitioners-without-device';
import { EXPIRING_DEFAULT_DAYS, listExpiringCertificates } from '@/src/admin/expiring-certificates';
import { AdminForbidden, AdminNav } from './admin-nav';
import { requireAdminPage } from './admin-guard';

export const dynamic = 'force-dynamic';

/** The console's front page: what needs attention, and the way to each section. */
export default async function AdminHome() {
  const admin = await requireAdminPage('/admin');
  if (!admin) return <AdminForbidden />;
  const t = await getTranslations('admin');
  const prisma = db();
  const [services, pendingLinks, practitioners, locked, trust, withoutDevice, expiring] = await Promise.all([
    prisma.oidcClient.count({ where: { clientId: { not: PORTAL_CLIENT_ID } } }),
    prisma.serviceLink.count({ where: { status: 'requested' } }),
    prisma.practitioner.count(),
    prisma.practitioner.count({ where: { lockedAt: { not: null } } }),
    listTrustMaterial(prisma),
    listPractitionersWithoutDevice(prisma),
    listExpiringCertificates(prisma),
  ]);
  const trustWarnings = trust.certificates.filter((c) => c.warnings.length).length;
  const tiles = [
    { href: '/admin/services', label: t('nav.services'), value: t('home.services', { count: services }), note: pendingLinks ? t('home.pendingLinks', { count: pendingLinks }) : null },
    { href: '/admin/practitioners', label: t('nav.practitioners'), value: t('home.practitioners', { count: practitioners }), note: locked ? t('home.locked', { count: locked }) : null },
    { href: '/admin/trust', label: t('nav.trust'), value: t('home.trust', { count: trust.certificates.length }), note: trustWarnings ? t('home.trustWarnings', { count: trustWarnings }) : null },
    { href: '/admin/audit', label: t('nav.audit'), value: t('home.audit'), note: null },
  ];
  return (
    <div className="space-y-6">
      <AdminNav />
      <Card testId="admin-home">
        <h1 className="text-2xl font-bold">{t('title')}</h1>
        <p className="mt-2 text-slate-700">{t('home.intro', { name: admin.familyNameKanji && admin.givenNameKanji ? `${admin.familyNameKanji} ${admin.givenNameKanji}` : `${admin.givenName} ${admin.familyName}` })}</p>
        <ul className="mt-4 grid grid-cols-1 gap-3 sm:grid-cols-2">
          {tiles.map((tile) => (
            <li key={tile.href}>
              <a href={tile.href} className="block rounded-lg border border-slate-200 p-4 hover:border-sky-600">
                <span className="block text-lg font-semibold text-sky-900">{tile.label}</span>
                <span className="block text-slate-700">{tile.value}</span>
                {tile.note ? <span className="mt-1 block text-sm font-semibold text-amber-800">{tile.note}</span> : null}
              </a>
            </li>
          ))}
        </ul>
        {withoutDevice.total || expiring.certificates.length ? (
          <ul className="mt-4 space-y-2" data-testid="admin-home-attention">
            {withoutDevice.total ? (
              <li>
                <a className="font-semibold text-amber-800 underline" href="/admin/practitioners?view=no-device" data-testid="home-no-device">
                  {t('home.noDevice', { count: withoutDevice.total })}
                </a>
              </li>
            ) : null}
            {expiring.certificates.length ? (
              <li>
                <a className="font-semibold text-amber-800 underline" href="/admin/practitioners?view=expiring" data-testid="home-expiring">
                  {t('home.expiring', { count: expiring.certificates.length, days: EXPIRING_DEFAULT_DAYS })}
                </a>
              </li>
            ) : null}
          </ul>
        ) : null}
      </Card>
    </div>
  );
}
