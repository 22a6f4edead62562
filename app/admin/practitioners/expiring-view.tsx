import { getTranslations } from 'next-intl/server';
import { Card, buttonClass } from '@/app/components/card';
import type { listExpiringCertificates } from '@/src/admin/expiring-certificates';
import { formatDate } from '../format';

type Data = Awaited<ReturnType<typeof listExpiringCertificates>>;

/** HPKI card certificates, second certificates and linked My Number Cards that expire within the chosen number of days, soonest first. */
export async function ExpiringView({ data, locale }: { data: Data; locale: string }) {
  const t = await getTranslations('admin');
  const th = 'px-2 py-2 font-semibold whitespace-nowrap';
  const td = 'px-2 py-2 align-middle';
  return (
    <Card testId="admin-expiring">
      <h1 className="text-2xl font-bold">{t('practitioners.expiringTitleAll')}</h1>
      <p className="mt-1 text-slate-700">{t('practitioners.expiringIntroAll', { days: data.days })}</p>
      <form method="get" action="/admin/practitioners" className="mt-4 flex flex-wrap items-end gap-3">
        <input type="hidden" name="view" value="expiring" />
        <label>
          <span className="block text-sm font-semibold">{t('practitioners.expiringDays')}</span>
          <input type="number" name="days" min={1} max={3650} defaultValue={data.days} className="mt-1 block w-32 rounded-lg border border-slate-300 px-3 py-2" data-testid="expiring-days" />
        </label>
        <button type="submit" className={buttonClass} data-testid="expiring-show">
          {t('practitioners.expiringShow')}
        </button>
      </form>
      {data.certificates.length === 0 ? (
        <p className="mt-4" data-testid="expiring-none">
          {t('practitioners.expiringNone', { days: data.days })}
        </p>
      ) : (
        <div className="mt-4 overflow-x-auto" tabIndex={0} role="region" aria-label={t('practitioners.expiringTitleAll')}>
          <table className="w-full min-w-[48rem] text-left text-sm">
            <thead>
              <tr className="border-b border-slate-300 bg-slate-50">
                <th scope="col" className={th}>{t('practitioners.notAfter')}</th>
                <th scope="col" className={th}>{t('practitioners.daysLeft')}</th>
                <th scope="col" className={th}>{t('practitioners.name')}</th>
                <th scope="col" className={th}>{t('practitioners.registrationNumber')}</th>
                <th scope="col" className={th}>{t('practitioners.kind')}</th>
                <th scope="col" className={th}>{t('practitioners.deviceColumn')}</th>
                <th scope="col" className={th}>{t('practitioners.issuer')}</th>
              </tr>
            </thead>
            <tbody>
              {data.certificates.map((c) => (
                <tr key={c.fingerprint} className="border-b border-slate-100" data-testid="expiring-row" data-registration-number={c.practitioner.registrationNumber}>
                  <td className={`${td} whitespace-nowrap`}>
                    <time dateTime={c.notAfter.toISOString()}>{formatDate(c.notAfter, locale)}</time>
                  </td>
                  <td className={`${td} whitespace-nowrap tabular-nums ${c.daysLeft <= 14 ? 'font-semibold text-red-800' : ''}`}>{t('practitioners.daysLeftValue', { days: c.daysLeft })}</td>
                  <td className={`${td} font-semibold`}>
                    <a className="text-sky-900 underline" href={`/admin/practitioners/${c.practitioner.id}`}>
                      {locale === 'en' || !c.practitioner.nameKanji ? c.practitioner.name : c.practitioner.nameKanji}
                    </a>
                  </td>
                  <td className={`${td} whitespace-nowrap`}>{c.practitioner.registrationNumber}</td>
                  <td className={`${td} whitespace-nowrap`}>{t(`practitioners.kindLabel.${c.kind}`)}</td>
                  <td className={`${td} whitespace-nowrap ${c.practitioner.hasDevice ? '' : 'font-semibold text-amber-800'}`}>
                    {c.practitioner.hasDevice ? t('practitioners.hasDeviceYes') : t('practitioners.hasDeviceNo')}
                  </td>
                  <td className={`${td} break-all text-xs text-slate-700`}>{c.issuer}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data.truncated ? <p className="mt-2 text-sm text-amber-800">{t('practitioners.expiringTruncated')}</p> : null}
      <p className="mt-4 text-sm text-slate-600">{t('practitioners.mncExpiryUnknown')}</p>
    </Card>
  );
}
