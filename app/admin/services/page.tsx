import { getTranslations } from 'next-intl/server';
import { Card, buttonClass } from '@/app/components/card';
import { db } from '@/src/db/current';
import { listServices } from '@/src/admin/list-services';
import { AdminForbidden, AdminNav } from '../admin-nav';
import { requireAdminPage } from '../admin-guard';

export const dynamic = 'force-dynamic';

/** Linked services: each with its state, how it authenticates, and pending link requests. */
export default async function AdminServicesPage() {
  if (!(await requireAdminPage('/admin/services'))) return <AdminForbidden />;
  const t = await getTranslations('admin');
  const services = await listServices(db());
  return (
    <div className="space-y-6">
      <AdminNav current="services" />
      <Card testId="admin-services">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h1 className="text-2xl font-bold">{t('services.title')}</h1>
          <a className={buttonClass} href="/admin/services/new" data-testid="service-new">
            {t('services.new')}
          </a>
        </div>
        {services.length === 0 ? <p className="mt-4 text-slate-700">{t('services.none')}</p> : null}
        <ul className="mt-4 divide-y divide-slate-200">
          {services.map((s) => (
            <li key={s.clientId} className="py-3" data-testid={`admin-service-${s.clientId}`}>
              <a className="text-lg font-semibold text-sky-900 underline" href={`/admin/services/${encodeURIComponent(s.clientId)}`}>
                {s.name}
              </a>
              <p className="text-sm text-slate-600">
                <code>{s.clientId}</code> · {t(`services.authMethod.${s.settings.authMethod}`)} · {t(`services.subject.${s.settings.subjectType}`)}
                {s.settings.allowedHcRoles.length ? ` · ${s.settings.allowedHcRoles.join(', ')}` : ''}
              </p>
              <p className="text-sm">
                {s.enabled ? <span className="text-emerald-700">{t('services.enabled')}</span> : <span className="font-semibold text-red-800">{t('services.disabled')}</span>}
                {s.pendingLinks ? <span className="ml-3 font-semibold text-amber-800">{t('services.pending', { count: s.pendingLinks })}</span> : null}
              </p>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
