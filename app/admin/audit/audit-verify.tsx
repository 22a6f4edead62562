'use client';
import { useState } from 'react';
import { useLocale, useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import type { AuditChainReport, AuditFinding } from '@/src/audit/verify-audit-chain';
import { formatDateTime } from '../format';

/**
 * Recomputes the hash chain on the server and compares it with the signed checkpoints; shows each
 * finding with the first entry affected, as npm run audit:verify prints it.
 */
export function AuditVerify() {
  const t = useTranslations('admin');
  const locale = useLocale();
  const [report, setReport] = useState<AuditChainReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  async function verify() {
    setBusy(true);
    setError(null);
    try {
      setReport(await postJson<AuditChainReport>('/api/admin/audit/verify'));
    } catch (e) {
      setError(toApiError(e, String(e)));
    } finally {
      setBusy(false);
    }
  }
  const describe = (f: AuditFinding) =>
    'checkpointSeq' in f
      ? t(`audit.finding.${f.kind}`, { seq: f.firstAffected, checkpoint: f.checkpointSeq, at: formatDateTime(f.checkpointAt, locale) })
      : 'line' in f
        ? t(`audit.finding.${f.kind}`, { line: f.line, lines: f.lines })
        : t(`audit.finding.${f.kind}`, { seq: f.firstAffected });
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
        <div role="alert" className="text-red-800" data-testid="audit-verify-broken">
          <p className="font-semibold">{t('audit.verifyBroken', { count: report.findings.length, entries: report.entries })}</p>
          <ul className="mt-2 list-disc space-y-1 pl-5">
            {report.findings.map((f, i) => (
              <li key={i} data-testid="audit-finding" data-kind={f.kind}>
                {describe(f)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {report ? (
        <p className="text-sm text-slate-700" data-testid="audit-verify-checkpoints">
          {report.checkpointFileFound ? t('audit.verifyCheckpoints', { checkpoints: report.checkpoints, uncovered: report.uncovered }) : t('audit.verifyNoCheckpoints')}
        </p>
      ) : null}
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </div>
  );
}
