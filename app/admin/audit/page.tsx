import { getLocale, getTranslations } from 'next-intl/server';
import { Card, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { db } from '@/src/db/current';
import { auditFilterSchema, queryAudit } from '@/src/admin/audit-query';
import { AdminForbidden, AdminNav } from '../admin-nav';
import { requireAdminPage } from '../admin-guard';
import { formatDateTime } from '../format';
import { AuditVerify } from './audit-verify';

export const dynamic = 'force-dynamic';

const FILTER_KEYS = ['person', 'service', 'event', 'result', 'from', 'to'] as const;

/** The audit log: filter, page through, export the filter as CSV, verify the hash chain. */
export default async function AdminAuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const query = new URLSearchParams(raw).toString();
  if (!(await requireAdminPage(`/admin/audit${query ? `?${query}` : ''}`))) return <AdminForbidden />;
  const t = await getTranslations('admin');
  const locale = await getLocale();
  const parsed = auditFilterSchema.safeParse(raw);
  const filter = parsed.success ? parsed.data : auditFilterSchema.parse({});
  const result = await queryAudit(db(), filter);
  const filterQuery = new URLSearchParams(Object.fromEntries(FILTER_KEYS.filter((k) => raw[k]).map((k) => [k, raw[k]!]))).toString();
  const pageLink = (page: number) => `/admin/audit?${new URLSearchParams({ ...Object.fromEntries(new URLSearchParams(filterQuery)), page: String(page) })}`;
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
  const input = 'mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2';
  return (
    <div className="space-y-6">
      <AdminNav current="audit" />
      <Card testId="admin-audit">
        <h1 className="text-2xl font-bold">{t('audit.title')}</h1>
        {!parsed.success ? <p role="alert" className="mt-2 text-red-800">{t('audit.badFilter')}</p> : null}
        <form method="get" action="/admin/audit" className="mt-4 grid grid-cols-1 gap-3 sm:grid-cols-3">
          <label>
            <span className="text-sm font-semibold">{t('audit.person')}</span>
            <input name="person" defaultValue={raw.person ?? ''} className={input} data-testid="audit-person" />
          </label>
          <label>
            <span className="text-sm font-semibold">{t('audit.service')}</span>
            <input name="service" defaultValue={raw.service ?? ''} className={input} data-testid="audit-service" />
          </label>
          <label>
            <span className="text-sm font-semibold">{t('audit.event')}</span>
            <input name="event" defaultValue={raw.event ?? ''} className={input} placeholder="login / admin." data-testid="audit-event" />
          </label>
          <label>
            <span className="text-sm font-semibold">{t('audit.result')}</span>
            <select name="result" defaultValue={raw.result ?? ''} className={input} data-testid="audit-result">
              <option value="">{t('audit.any')}</option>
              <option value="success">success</option>
              <option value="failure">failure</option>
              <option value="info">info</option>
            </select>
          </label>
          <label>
            <span className="text-sm font-semibold">{t('audit.from')}</span>
            <input type="datetime-local" name="from" defaultValue={raw.from ?? ''} className={input} />
          </label>
          <label>
            <span className="text-sm font-semibold">{t('audit.to')}</span>
            <input type="datetime-local" name="to" defaultValue={raw.to ?? ''} className={input} />
          </label>
          <div className="flex flex-wrap gap-3 sm:col-span-3">
            <button type="submit" className={buttonClass} data-testid="audit-filter">
              {t('audit.filter')}
            </button>
            <a className={secondaryButtonClass} href={`/api/admin/audit/export.csv${filterQuery ? `?${filterQuery}` : ''}`} download data-testid="audit-export">
              {t('audit.export')}
            </a>
          </div>
        </form>
        <p className="mt-4 text-sm text-slate-700" data-testid="audit-total">
          {t('audit.total', { total: result.total, page: result.page, pages })}
        </p>
        <div className="mt-2 overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-300">
                <th className="py-1 pr-2">#</th>
                <th className="py-1 pr-2">{t('audit.at')}</th>
                <th className="py-1 pr-2">{t('audit.event')}</th>
                <th className="py-1 pr-2">{t('audit.result')}</th>
                <th className="py-1 pr-2">{t('audit.service')}</th>
                <th className="py-1 pr-2">{t('audit.details')}</th>
              </tr>
            </thead>
            <tbody>
              {result.entries.map((e) => (
                <tr key={e.seq} className="border-b border-slate-100 align-top" data-testid="audit-row">
                  <td className="py-1 pr-2">{e.seq}</td>
                  <td className="py-1 pr-2 whitespace-nowrap">{formatDateTime(e.at, locale)}</td>
                  <td className="py-1 pr-2">{e.event}</td>
                  <td className={`py-1 pr-2 ${e.result === 'failure' ? 'font-semibold text-red-800' : ''}`}>
                    {e.result}
                    {e.errorCode ? ` (${e.errorCode})` : ''}
                  </td>
                  <td className="py-1 pr-2">{e.clientId ?? ''}</td>
                  <td className="py-1 pr-2 break-all text-xs text-slate-600">
                    {e.method ? `${e.method} · ` : ''}
                    {e.practitionerId ? `${e.practitionerId.slice(0, 8)} · ` : ''}
                    {JSON.stringify(e.details).slice(0, 200)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <nav className="mt-3 flex gap-3" aria-label={t('audit.pages')}>
          {result.page > 1 ? (
            <a className="text-sky-800 underline" href={pageLink(result.page - 1)}>
              {t('audit.previous')}
            </a>
          ) : null}
          {result.page < pages ? (
            <a className="text-sky-800 underline" href={pageLink(result.page + 1)} data-testid="audit-next">
              {t('audit.next')}
            </a>
          ) : null}
        </nav>
      </Card>
      <Card testId="admin-audit-verify">
        <h2 className="text-xl font-semibold">{t('audit.verifyTitle')}</h2>
        <p className="mt-1 text-sm text-slate-700">{t('audit.verifyIntro')}</p>
        <AuditVerify />
      </Card>
    </div>
  );
}
