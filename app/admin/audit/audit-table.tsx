'use client';
import { Fragment, useState } from 'react';
import { useTranslations } from 'next-intl';

/** One entry as the page prepared it: words for the reader, the raw codes for the details. */
export interface AuditRowView {
  seq: string;
  at: string;
  atAttribute: string;
  eventLabel: string;
  result: 'success' | 'failure' | 'info' | string;
  resultLabel: string;
  who: string | null;
  target: string | null;
  service: string | null;
  methodLabel: string | null;
  /** Label → raw value, in the order shown when the row is opened. */
  details: [string, string][];
  data: string;
}

/**
 * The audit log's rows: one line per entry at 1280 px; "Details" opens a full-width line under it
 * with the codes and the recorded data. Everything is rendered on the server; only the toggling
 * happens here.
 */
export function AuditTable({ rows, caption }: { rows: AuditRowView[]; caption: string }) {
  const t = useTranslations('admin');
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (seq: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(seq)) next.delete(seq);
      else next.add(seq);
      return next;
    });
  const th = 'px-2 py-2 font-semibold whitespace-nowrap';
  const td = 'px-2 py-1.5 align-middle';
  return (
    // Scrolls sideways on a phone: focusable so it can be scrolled from the keyboard.
    <div className="mt-2 overflow-x-auto" tabIndex={0} role="region" aria-label={caption} data-testid="audit-table">
      <table className="w-full min-w-[64rem] table-fixed text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <colgroup>
          <col className="w-14" />
          <col className="w-48" />
          <col />
          <col className="w-24" />
          <col className="w-56" />
          <col className="w-36" />
          <col className="w-36" />
          <col className="w-24" />
        </colgroup>
        <thead>
          <tr className="border-b border-slate-300 bg-slate-50">
            <th scope="col" className={th}>#</th>
            <th scope="col" className={th}>{t('audit.at')}</th>
            <th scope="col" className={th}>{t('audit.event')}</th>
            <th scope="col" className={th}>{t('audit.result')}</th>
            <th scope="col" className={th}>{t('audit.who')}</th>
            <th scope="col" className={th}>{t('audit.service')}</th>
            <th scope="col" className={th}>{t('audit.method')}</th>
            <th scope="col" className={th}>
              <span className="sr-only">{t('audit.details')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const isOpen = open.has(r.seq);
            const id = `audit-details-${r.seq}`;
            return (
              <Fragment key={r.seq}>
                <tr className="border-b border-slate-100 hover:bg-slate-50" data-testid="audit-row" data-seq={r.seq}>
                  <td className={`${td} tabular-nums text-slate-600`}>{r.seq}</td>
                  <td className={`${td} whitespace-nowrap tabular-nums`}>
                    <time dateTime={r.atAttribute}>{r.at}</time>
                  </td>
                  <td className={`${td} truncate`} title={r.eventLabel} data-testid="audit-event-label">
                    {r.eventLabel}
                  </td>
                  <td className={`${td} whitespace-nowrap ${r.result === 'failure' ? 'font-semibold text-red-800' : r.result === 'success' ? 'text-emerald-800' : 'text-slate-700'}`} data-testid="audit-result-label">
                    {r.resultLabel}
                  </td>
                  <td className={`${td} truncate`} title={[r.who, r.target].filter(Boolean).join(' / ')}>
                    {r.who ?? '—'}
                    {r.target ? <span className="block truncate text-xs text-slate-600">{r.target}</span> : null}
                  </td>
                  <td className={`${td} truncate`} title={r.service ?? undefined}>
                    {r.service ?? '—'}
                  </td>
                  <td className={`${td} truncate`} title={r.methodLabel ?? undefined} data-testid="audit-method-label">
                    {r.methodLabel ?? '—'}
                  </td>
                  <td className={`${td} text-right`}>
                    <button
                      type="button"
                      className="rounded-md border border-slate-300 px-2 py-1 text-sky-900 hover:border-sky-600"
                      aria-expanded={isOpen}
                      aria-controls={id}
                      aria-label={t('audit.detailsOf', { seq: r.seq })}
                      onClick={() => toggle(r.seq)}
                      data-testid="audit-details-toggle"
                    >
                      {t('audit.showDetails')}
                      <span aria-hidden="true">{isOpen ? ' ▴' : ' ▾'}</span>
                    </button>
                  </td>
                </tr>
                <tr id={id} hidden={!isOpen} className="border-b border-slate-200 bg-slate-50" data-testid="audit-details">
                  <td colSpan={8} className="px-4 py-3">
                    <dl className="grid grid-cols-1 gap-x-6 gap-y-1 sm:grid-cols-[max-content_1fr]">
                      {r.details.map(([label, value]) => (
                        <Fragment key={label}>
                          <dt className="font-semibold text-slate-700">{label}</dt>
                          <dd className="break-all font-mono text-xs leading-5">{value}</dd>
                        </Fragment>
                      ))}
                      <dt className="font-semibold text-slate-700">{t('audit.detail.data')}</dt>
                      <dd>
                        <pre className="whitespace-pre-wrap break-all font-mono text-xs" data-testid="audit-details-data">
                          {r.data}
                        </pre>
                      </dd>
                    </dl>
                  </td>
                </tr>
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
