import { getLocale, getTranslations } from 'next-intl/server';
import { Card, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { db } from '@/src/db/current';
import { auditFilterSchema, queryAudit, type AuditPerson } from '@/src/admin/audit-query';
import { AUDIT_EVENT_GROUPS, AUDIT_EVENTS, AUDIT_METHODS, auditEventMessageKey } from '@/src/admin/audit-events';
import { formatJapanTime, japanTimeAttribute } from '@/src/i18n/format-time';
import { AdminForbidden, AdminNav } from '../admin-nav';
import { requireAdminPage } from '../admin-guard';
import { Pager } from '../pager';
import { AuditTable, type AuditRowView } from './audit-table';
import { AuditVerify } from './audit-verify';

export const dynamic = 'force-dynamic';

/** The filter's query parameters: a filtered view is a link, and paging keeps it. */
const FILTER_KEYS = ['person', 'service', 'event', 'result', 'method', 'from', 'to'] as const;

/** The audit log: filter, page through, export the filter as CSV, verify the hash chain. */
export default async function AdminAuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const query = new URLSearchParams(raw).toString();
  if (!(await requireAdminPage(`/admin/audit${query ? `?${query}` : ''}`))) return <AdminForbidden />;
  const t = await getTranslations('admin');
  const te = await getTranslations('errors');
  const locale = await getLocale();
  const parsed = auditFilterSchema.safeParse(raw);
  const filter = parsed.success ? parsed.data : auditFilterSchema.parse({});
  const result = await queryAudit(db(), filter);
  const filterParams = new URLSearchParams(FILTER_KEYS.filter((k) => raw[k]).map((k) => [k, raw[k]!]));
  const filterQuery = filterParams.toString();

  const eventLabel = (event: string) => {
    const key = `auditEvent.${auditEventMessageKey(event)}`;
    return t.has(key) ? t(key) : event;
  };
  const methodLabel = (method: string | null) => (method ? (t.has(`services.method.${method}`) ? t(`services.method.${method}`) : method) : null);
  const personLabel = (id: string | null, people: Record<string, AuditPerson>) => {
    if (!id) return null;
    const p = people[id];
    if (!p) return t('audit.unknownPerson', { id: id.slice(0, 8) });
    return `${locale === 'en' || !p.nameKanji ? p.name : p.nameKanji} (${p.registrationNumber})`;
  };
  const rows: AuditRowView[] = result.entries.map((e) => {
    const target = personLabel(e.targetPractitionerId, result.people);
    const details: [string, string][] = [
      [t('audit.detail.seq'), e.seq],
      [t('audit.detail.at'), `${formatJapanTime(e.at, locale, { seconds: true })} · ${e.at}`],
      [t('audit.detail.event'), e.event],
      [t('audit.detail.result'), e.result],
    ];
    if (e.errorCode) {
      details.push([t('audit.detail.errorCode'), e.errorCode]);
      if (te.has(e.errorCode)) details.push([t('audit.detail.errorMessage'), te(e.errorCode)]);
    }
    if (e.method) details.push([t('audit.detail.method'), e.method]);
    if (e.clientId) details.push([t('audit.detail.clientId'), e.clientId]);
    if (e.practitionerId) details.push([t('audit.detail.practitionerId'), e.practitionerId]);
    if (e.targetPractitionerId) details.push([t('audit.detail.targetPractitionerId'), e.targetPractitionerId]);
    if (e.ip) details.push([t('audit.detail.ip'), e.ip]);
    details.push([t('audit.detail.hash'), e.hash]);
    return {
      seq: e.seq,
      at: formatJapanTime(e.at, locale),
      atAttribute: japanTimeAttribute(e.at),
      eventLabel: eventLabel(e.event),
      result: e.result,
      resultLabel: t.has(`audit.resultLabel.${e.result}`) ? t(`audit.resultLabel.${e.result}`) : e.result,
      who: personLabel(e.practitionerId, result.people),
      target: target ? t('audit.target', { name: target }) : null,
      service: e.clientId,
      methodLabel: methodLabel(e.method),
      details,
      data: JSON.stringify(e.details, null, 2),
    };
  });

  const input = 'mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2';
  const label = 'text-sm font-semibold';
  const knownEvent = !raw.event || AUDIT_EVENTS.includes(raw.event) || AUDIT_EVENT_GROUPS.some((g) => raw.event === `@${g.id}` || raw.event === g.prefix);
  // The fields are Japan days; a link that carries a time keeps its time field.
  const dateField = (name: 'from' | 'to') => (
    <label>
      <span className={label}>{t(`audit.${name}`)}</span>
      <input type={raw[name]?.includes('T') ? 'datetime-local' : 'date'} name={name} defaultValue={raw[name] ?? ''} className={input} aria-describedby="audit-date-help" data-testid={`audit-${name}`} />
    </label>
  );
  const first = result.total ? (result.page - 1) * result.pageSize + 1 : 0;
  const last = Math.min(result.total, result.page * result.pageSize);
  return (
    <div className="space-y-6">
      <AdminNav current="audit" />
      <Card testId="admin-audit">
        <h1 className="text-2xl font-bold">{t('audit.title')}</h1>
        <p className="mt-1 text-sm text-slate-700">{t('audit.intro')}</p>
        {!parsed.success ? (
          <p role="alert" className="mt-2 text-red-800">
            {t('audit.badFilter')}
          </p>
        ) : null}
        <form method="get" action="/admin/audit" className="mt-4 grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4" data-testid="audit-filter-form">
          <label>
            <span className={label}>{t('audit.event')}</span>
            <select name="event" defaultValue={raw.event ?? ''} className={input} data-testid="audit-event">
              <option value="">{t('audit.eventAll')}</option>
              {knownEvent ? null : <option value={raw.event}>{t('audit.otherEvent', { event: raw.event! })}</option>}
              {AUDIT_EVENT_GROUPS.map((g) => (
                <optgroup key={g.id} label={t(`audit.group.${g.id}`)}>
                  <option value={g.prefix ?? `@${g.id}`}>{t('audit.groupAll', { group: t(`audit.group.${g.id}`) })}</option>
                  {g.events.map((e) => (
                    <option key={e} value={e}>
                      {eventLabel(e)}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </label>
          <label>
            <span className={label}>{t('audit.result')}</span>
            <select name="result" defaultValue={raw.result ?? ''} className={input} data-testid="audit-result">
              <option value="">{t('audit.any')}</option>
              {(['success', 'failure', 'info'] as const).map((r) => (
                <option key={r} value={r}>
                  {t(`audit.resultLabel.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span className={label}>{t('audit.method')}</span>
            <select name="method" defaultValue={raw.method ?? ''} className={input} data-testid="audit-method">
              <option value="">{t('audit.methodAny')}</option>
              {AUDIT_METHODS.map((m) => (
                <option key={m} value={m}>
                  {methodLabel(m)}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span className={label}>{t('audit.person')}</span>
            <input name="person" defaultValue={raw.person ?? ''} className={input} data-testid="audit-person" />
          </label>
          <label>
            <span className={label}>{t('audit.service')}</span>
            <input name="service" defaultValue={raw.service ?? ''} className={input} data-testid="audit-service" />
          </label>
          {dateField('from')}
          {dateField('to')}
          <p id="audit-date-help" className="self-end pb-2 text-sm text-slate-600">
            {t('audit.dateHelp')}
          </p>
          <div className="flex flex-wrap gap-3 sm:col-span-2 lg:col-span-4">
            <button type="submit" className={buttonClass} data-testid="audit-filter">
              {t('audit.filter')}
            </button>
            <a className={secondaryButtonClass} href="/admin/audit" data-testid="audit-clear">
              {t('audit.clear')}
            </a>
            <a className={secondaryButtonClass} href={`/api/admin/audit/export.csv${filterQuery ? `?${filterQuery}` : ''}`} download data-testid="audit-export">
              {t('audit.export')}
            </a>
          </div>
        </form>
        <p className="mt-6 text-sm text-slate-700" data-testid="audit-total" role="status">
          {result.total ? t('audit.showing', { from: first, to: last, total: result.total }) : t('audit.noEntries')}
          {result.pages > 1 ? ` · ${t('audit.pageOf', { page: result.page, pages: result.pages })}` : ''}
        </p>
        {rows.length ? <AuditTable rows={rows} caption={t('audit.title')} /> : null}
        <Pager page={result.page} pages={result.pages} query={filterParams} path="/admin/audit" testId="audit" />
      </Card>
      <Card testId="admin-audit-verify">
        <h2 className="text-xl font-semibold">{t('audit.verifyTitle')}</h2>
        <p className="mt-1 text-sm text-slate-700">{t('audit.verifyIntro')}</p>
        <AuditVerify />
      </Card>
    </div>
  );
}
