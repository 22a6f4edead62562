import { notFound } from 'next/navigation';
import { getLocale, getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';
import { db } from '@/src/db/current';
import { findService, listLinkRequests } from '@/src/admin/list-services';
import { AdminForbidden, AdminNav } from '../../admin-nav';
import { requireAdminPage } from '../../admin-guard';
import { formatDateTime } from '../../format';
import { ServiceEditor } from '../service-editor';
import { editorChoices } from '../editor-choices';
import { ServiceControls } from '../service-controls';
import { LinkDecision } from '../link-decision';

export const dynamic = 'force-dynamic';

/** One linked service: its state and secret, pending link requests, and its settings. */
export default async function ServicePage({ params }: { params: Promise<{ clientId: string }> }) {
  const { clientId } = await params;
  if (!(await requireAdminPage(`/admin/services/${encodeURIComponent(clientId)}`))) return <AdminForbidden />;
  const service = await findService(db(), clientId);
  if (!service) notFound();
  const t = await getTranslations('admin');
  const locale = await getLocale();
  const requests = await listLinkRequests(db(), clientId);
  return (
    <div className="space-y-6">
      <AdminNav current="services" />
      <Card testId="admin-service">
        <h1 className="text-2xl font-bold">{service.name}</h1>
        <p className="mt-1 text-slate-600">
          <code data-testid="admin-service-client-id">{service.clientId}</code> ·{' '}
          {service.enabled ? (
            <span className="text-emerald-700" data-testid="admin-service-state">{t('services.enabled')}</span>
          ) : (
            <span className="font-semibold text-red-800" data-testid="admin-service-state">{t('services.disabled')}</span>
          )}
        </p>
        <div className="mt-4">
          <ServiceControls clientId={service.clientId} enabled={service.enabled} hasSecret={service.settings.authMethod !== 'private_key_jwt'} />
        </div>
      </Card>
      <Card testId="admin-link-requests">
        <h2 className="text-xl font-semibold">{t('links.title')}</h2>
        <p className="mt-1 text-sm text-slate-600">{t('links.intro')}</p>
        {requests.length === 0 ? <p className="mt-3 text-slate-700" data-testid="link-requests-none">{t('links.none')}</p> : null}
        <ul className="mt-3 divide-y divide-slate-200">
          {requests.map((r) => (
            <li key={r.id} className="py-3" data-testid={`link-request-${r.practitioner?.registrationNumber ?? r.id}`}>
              <p className="font-semibold">
                {r.practitioner?.nameKanji ?? r.practitioner?.name} <span className="font-normal text-slate-600">({r.practitioner?.registrationNumber})</span>
              </p>
              <p className="text-sm text-slate-600">{t('links.requestedAt', { at: formatDateTime(r.requestedAt, locale) })}</p>
              <LinkDecision linkId={r.id} />
            </li>
          ))}
        </ul>
      </Card>
      <Card testId="admin-service-settings">
        <h2 className="text-xl font-semibold">{t('services.settings')}</h2>
        <ServiceEditor mode="edit" choices={editorChoices()} initial={service.settings} signing={service.signing} />
      </Card>
    </div>
  );
}
