import { getLocale, getTranslations } from 'next-intl/server';
import { Card, buttonClass } from '@/app/components/card';
import { db } from '@/src/db/current';
import { currentPortal } from '@/src/portal/portal';
import { searchPractitioners } from '@/src/admin/search-practitioners';
import { describeHcRole } from '@/src/pki/hcrole/display-names';
import { JPKI_HCROLE_SCHEME } from '@/src/practitioners/practitioner';
import { AdminForbidden, AdminNav } from '../admin-nav';
import { requireAdminPage } from '../admin-guard';
import { formatDateTime } from '../format';
import { PractitionerActions } from './practitioner-actions';
import { CsvImport } from './csv-import';
import { CertificateImport } from './certificate-import';
import { listPractitionersWithoutDevice, withoutDeviceQuerySchema } from '@/src/admin/practitioners-without-device';
import { expiringQuerySchema, listExpiringCertificates } from '@/src/admin/expiring-certificates';
import { WithoutDeviceView } from './without-device-view';
import { ExpiringView } from './expiring-view';

export const dynamic = 'force-dynamic';

/** The page's views, chosen by ?view=: a search (the default), no registered phone, expiring certificates. */
const VIEWS = ['search', 'no-device', 'expiring'] as const;

/** Practitioners: search, the actions on each one, and the two ways to import them. */
export default async function AdminPractitionersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const view = VIEWS.find((v) => v === params.view) ?? 'search';
  const returnQuery = new URLSearchParams(params).toString();
  const admin = await requireAdminPage(`/admin/practitioners${returnQuery ? `?${returnQuery}` : ''}`);
  if (!admin) return <AdminForbidden />;
  const t = await getTranslations('admin');
  const locale = await getLocale();
  const viewNav = (
    <nav aria-label={t('practitioners.views')} className="flex flex-wrap gap-2" data-testid="practitioner-views">
      {VIEWS.map((v) => (
        <a
          key={v}
          href={v === 'search' ? '/admin/practitioners' : `/admin/practitioners?view=${v}`}
          aria-current={v === view ? 'page' : undefined}
          className={`rounded-lg border px-4 py-2 font-semibold ${v === view ? 'border-sky-700 bg-sky-700 text-white' : 'border-slate-300 text-sky-900 hover:border-sky-600'}`}
          data-testid={`practitioner-view-${v}`}
        >
          {t(`practitioners.view${v === 'search' ? 'Search' : v === 'no-device' ? 'NoDevice' : 'Expiring'}`)}
        </a>
      ))}
    </nav>
  );
  if (view === 'no-device') {
    const { page } = withoutDeviceQuerySchema.parse(params);
    return (
      <div className="space-y-6">
        <AdminNav current="practitioners" />
        {viewNav}
        <WithoutDeviceView data={await listPractitionersWithoutDevice(db(), { page })} locale={locale} />
      </div>
    );
  }
  if (view === 'expiring') {
    const { days } = expiringQuerySchema.parse(params);
    return (
      <div className="space-y-6">
        <AdminNav current="practitioners" />
        {viewNav}
        <ExpiringView data={await listExpiringCertificates(db(), { days })} locale={locale} />
      </div>
    );
  }
  const q = String(params.q ?? '').slice(0, 100);
  const found = q ? await searchPractitioners(db(), q) : [];
  if (q) {
    // A search is access to personal data: recorded like the JSON endpoint records it.
    await currentPortal().audit({ event: 'admin.practitioner.search', result: 'success', practitionerId: admin.id, details: { query: q, results: found.length } });
  }
  return (
    <div className="space-y-6">
      <AdminNav current="practitioners" />
      {viewNav}
      <Card testId="admin-practitioners">
        <h1 className="text-2xl font-bold">{t('practitioners.title')}</h1>
        <form method="get" action="/admin/practitioners" className="mt-4 flex flex-wrap items-end gap-3" role="search">
          <label className="block grow">
            <span className="font-semibold">{t('practitioners.search')}</span>
            <span className="block text-sm text-slate-600">{t('practitioners.searchHelp')}</span>
            <input name="q" defaultValue={q} className="mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2" data-testid="practitioner-query" />
          </label>
          <button type="submit" className={buttonClass} data-testid="practitioner-search">
            {t('practitioners.searchButton')}
          </button>
        </form>
        {q && found.length === 0 ? <p className="mt-4" data-testid="practitioner-none">{t('practitioners.none')}</p> : null}
        <ul className="mt-4 divide-y divide-slate-200">
          {found.map((p) => (
            <li key={p.id} className="py-4" data-testid={`practitioner-${p.registrationNumber}`}>
              <p className="text-lg font-semibold">
                <a className="text-sky-900 underline" href={`/admin/practitioners/${p.id}`} data-testid="practitioner-detail">
                  {p.nameKanji ?? p.name}
                </a>{' '}
                <span className="font-normal text-slate-600">{p.nameKanji ? p.name : ''}</span>
                {p.isAdmin ? <span className="ml-2 rounded bg-sky-100 px-2 py-0.5 text-sm text-sky-900">{t('practitioners.admin')}</span> : null}
                {p.lockedAt ? (
                  <span className="ml-2 rounded bg-red-100 px-2 py-0.5 text-sm text-red-900" data-testid="practitioner-locked">
                    {t('practitioners.locked')}
                  </span>
                ) : null}
              </p>
              <p className="text-sm text-slate-700">
                {t('practitioners.registrationNumber')}: {p.registrationNumber}
                {p.hcRoles.length ? ` · ${p.hcRoles.map((r) => (locale === 'en' ? r : describeHcRole(r, JPKI_HCROLE_SCHEME).displayJa)).join('、')}` : ` · ${t('practitioners.noQualification')}`}
                {p.facility ? ` · ${p.facility}` : ''}
              </p>
              <p className="text-sm text-slate-600">
                {p.device ? t('practitioners.device', { at: formatDateTime(p.device.registeredAt, locale) }) : t('practitioners.noDevice')} ·{' '}
                {p.myNumberCardLinkedAt ? t('practitioners.mnc', { at: formatDateTime(p.myNumberCardLinkedAt, locale) }) : t('practitioners.noMnc')}
              </p>
              <PractitionerActions
                id={p.id}
                locked={p.lockedAt !== null}
                self={p.id === admin.id}
                hasDevice={p.device !== null}
                hasMnc={p.myNumberCardLinkedAt !== null}
              />
            </li>
          ))}
        </ul>
      </Card>
      <Card testId="admin-csv-import">
        <h2 className="text-xl font-semibold">{t('practitioners.csvTitle')}</h2>
        <p className="mt-1 text-sm text-slate-700">{t('practitioners.csvHelp')}</p>
        <pre className="mt-2 whitespace-pre-wrap break-all rounded bg-slate-100 p-2 text-xs">
          registration_number,family_name,given_name,family_name_kanji,given_name_kanji,birth_date,facility,hc_role{'\n'}
          123456,Yamada,Taro,山田,太郎,1980-04-01,Example Hospital,Medical Doctor
        </pre>
        <CsvImport />
      </Card>
      <Card testId="admin-certificate-import">
        <h2 className="text-xl font-semibold">{t('practitioners.certTitle')}</h2>
        <p className="mt-1 text-sm text-slate-700">{t('practitioners.certHelp')}</p>
        <CertificateImport />
      </Card>
    </div>
  );
}
