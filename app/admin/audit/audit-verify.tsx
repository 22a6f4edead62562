'use client';
import { useState } from 'react';
import { useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';

type Report = { ok: true; entries: number; lastHash: string } | { ok: false; entries: number; brokenAt: string; reason: string; expected: string; found: string };

/** Recomputes the hash chain on the server and shows the result (the first broken entry, if any). */
export function AuditVerify() {
  const t = useTranslations('admin');
  const [report, setReport] = useState<Report | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  async function verify() {
    setBusy(true);
    setError(null);
    try {
      setReport(await postJson<Report>('/api/admin/audit/verify'));
    } catch (e) {
      setError(toApiError(e, String(e)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="mt-3 space-y-3">
      <button className={buttonClass} onClick={verify} disabled={busy} data-testid="audit-verify">
        {t('audit.verify')}
      </button>
      {report?.ok ? (
        <p role="status" className="font-semibold text-emerald-800" data-testid="audit-verify-ok">
          {t('audit.verifyOk', { entries: report.entries })} <span className="break-all font-mono text-xs font-normal">{report.lastHash}</span>
        </p>
      ) : null}
      {report && !report.ok ? (
        <p role="alert" className="font-semibold text-red-800" data-testid="audit-verify-broken">
          {t('audit.verifyBroken', { seq: report.brokenAt, reason: report.reason, entries: report.entries })}
        </p>
      ) : null}
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </div>
  );
}
