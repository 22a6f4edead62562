import { getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';
import type { listPractitionersWithoutDevice } from '@/src/admin/practitioners-without-device';
import { formatDate } from '../format';
import { AdminTime } from '../admin-time';
import { Pager } from '../pager';

type Data = Awaited<ReturnType<typeof listPractitionersWithoutDevice>>;

/** Practitioners with no registered phone, and whether their registration QR still works. */
export async function WithoutDeviceView({ data, locale }: { data: Data; locale: string }) {
  const t = await getTranslations('admin');
  const th = 'px-2 py-2 font-semibold whitespace-nowrap';
  const td = 'px-2 py-2 align-middle';
  return (
    <Card testId="admin-no-device">
      <h1 className="text-2xl font-bold">{t('practitioners.noDeviceTitle')}</h1>
      <p className="mt-1 text-slate-700">{t('practitioners.noDeviceIntro')}</p>
      <p className="mt-4 text-sm text-slate-700" data-testid="no-device-total">
        {data.total ? t('practitioners.noDeviceTotal', { total: data.total }) : t('practitioners.noDeviceNone')}
      </p>
      {data.practitioners.length ? (
        <div className="mt-2 overflow-x-auto" tabIndex={0} role="region" aria-label={t('practitioners.noDeviceTitle')}>
          <table className="w-full min-w-[48rem] text-left text-sm">
            <thead>
              <tr className="border-b border-slate-300 bg-slate-50">
                <th scope="col" className={th}>{t('practitioners.name')}</th>
                <th scope="col" className={th}>{t('practitioners.registrationNumber')}</th>
                <th scope="col" className={th}>{t('practitioners.facility')}</th>
                <th scope="col" className={th}>{t('practitioners.registeredAt')}</th>
                <th scope="col" className={th}>{t('practitioners.codeStateLabel')}</th>
                <th scope="col" className={th}>
                  <span className="sr-only">{t('practitioners.issueCode')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.practitioners.map((p) => {
                const name = locale === 'en' || !p.nameKanji ? p.name : p.nameKanji;
                const state = p.registrationCode.state;
                return (
                  <tr key={p.id} className="border-b border-slate-100" data-testid={`no-device-${p.registrationNumber}`} data-code-state={state}>
                    <td className={`${td} font-semibold`}>
                      {name}
                      {p.lockedAt ? <span className="ml-2 rounded bg-red-100 px-2 py-0.5 text-xs text-red-900">{t('practitioners.locked')}</span> : null}
                    </td>
                    <td className={`${td} whitespace-nowrap`}>{p.registrationNumber}</td>
                    <td className={td}>{p.facility ?? '—'}</td>
                    <td className={`${td} whitespace-nowrap`}>
                      <AdminTime value={p.createdAt} locale={locale} />
                    </td>
                    <td className={`${td} ${state === 'valid' ? 'text-emerald-800' : 'font-semibold text-amber-800'}`}>
                      {t(`practitioners.codeState.${state}`, { date: p.registrationCode.expiresAt ? formatDate(p.registrationCode.expiresAt, locale) : '' })}
                    </td>
                    <td className={`${td} text-right`}>
                      <a
                        className="inline-block whitespace-nowrap rounded-md border border-slate-300 px-3 py-1.5 text-sky-900 hover:border-sky-600"
                        href={`/admin/practitioners/${p.id}/registration`}
                      >
                        {t('practitioners.issueCode')}
                        <span className="sr-only">{t('practitioners.issueCodeFor', { name })}</span>
                      </a>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={data.page} pages={data.pages} query={new URLSearchParams({ view: 'no-device' })} path="/admin/practitioners" testId="no-device" />
    </Card>
  );
}
