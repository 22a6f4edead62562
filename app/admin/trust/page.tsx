import { getLocale, getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';
import { db } from '@/src/db/current';
import { listTrustMaterial } from '@/src/admin/trust-material';
import { AdminForbidden, AdminNav } from '../admin-nav';
import { requireAdminPage } from '../admin-guard';
import { formatDateTime } from '../format';
import { TrustUpload } from './trust-upload';

export const dynamic = 'force-dynamic';

/** Trust anchors, issuing CAs and CRLs: what validates logins, and what is about to stop doing so. */
export default async function AdminTrustPage() {
  if (!(await requireAdminPage('/admin/trust'))) return <AdminForbidden />;
  const t = await getTranslations('admin');
  const locale = await getLocale();
  const { certificates, crls } = await listTrustMaterial(db());
  return (
    <div className="space-y-6">
      <AdminNav current="trust" />
      <Card testId="admin-trust">
        <h1 className="text-2xl font-bold">{t('trust.title')}</h1>
        <p className="mt-2 text-slate-700">{t('trust.intro')}</p>
        {certificates.length === 0 ? <p className="mt-3">{t('trust.none')}</p> : null}
        <ul className="mt-4 divide-y divide-slate-200">
          {certificates.map((c) => (
            <li key={c.fingerprint} className="py-3" data-testid={`trust-${c.fingerprint.slice(0, 16)}`}>
              <p className="font-semibold">
                <span className="mr-2 rounded bg-slate-100 px-2 py-0.5 text-sm">{c.scheme.toUpperCase()}</span>
                <span className="mr-2 rounded bg-slate-100 px-2 py-0.5 text-sm">{t(`trust.role.${c.role}`)}</span>
                <span className="break-all">{c.subject}</span>
              </p>
              <p className="text-sm text-slate-700">
                {t('trust.notAfter', { at: formatDateTime(c.notAfter, locale) })} ·{' '}
                {c.crl
                  ? t('trust.crl', { next: formatDateTime(c.crl.nextUpdate, locale), entries: c.crl.entries, source: c.crl.source })
                  : t('trust.noCrl')}
              </p>
              {c.warnings.length ? (
                <ul className="mt-1" data-testid="trust-warnings">
                  {c.warnings.map((w) => (
                    <li key={w} role="alert" className="text-sm font-semibold text-red-800" data-testid={`trust-warning-${w}`}>
                      {t(`trust.warning.${w}`)}
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ul>
      </Card>
      <Card testId="admin-crls">
        <h2 className="text-xl font-semibold">{t('trust.crlTitle')}</h2>
        <ul className="mt-3 divide-y divide-slate-200">
          {crls.map((crl) => (
            <li key={crl.id} className="py-2 text-sm">
              <p className="break-all font-semibold">{crl.issuer}</p>
              <p>
                {t('trust.crlRow', { this: formatDateTime(crl.thisUpdate, locale), next: formatDateTime(crl.nextUpdate, locale), entries: crl.entries })}
                {crl.warning ? <span className="ml-2 font-semibold text-red-800">{t(`trust.warning.${crl.warning}`)}</span> : null}
              </p>
            </li>
          ))}
        </ul>
      </Card>
      <Card testId="admin-trust-upload">
        <h2 className="text-xl font-semibold">{t('trust.uploadTitle')}</h2>
        <TrustUpload />
      </Card>
    </div>
  );
}
