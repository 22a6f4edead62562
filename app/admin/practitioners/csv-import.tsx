'use client';
import { useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass } from '@/app/components/card';
import { postJson } from '@/app/components/post-json';
import { useFileUpload } from '@/app/admin/use-file-upload';

/** CSV import, all or nothing: every bad row is listed with its line number and reason. */
export function CsvImport() {
  const t = useTranslations('admin');
  const { file, setFile, busy, result, error, submit } = useFileUpload(async (file) =>
    postJson<{ imported: number }>('/api/admin/practitioners/import-csv', { csv: await file.text(), fileName: file.name }),
  );
  const imported = result?.imported ?? null;
  const rows = (error?.body.rows as { line: number; reason: string }[] | undefined) ?? [];

  return (
    <form className="mt-3 space-y-3" onSubmit={submit}>
      <label className="block">
        <span className="font-semibold">{t('practitioners.csvFile')}</span>
        <input type="file" accept=".csv,text/csv" className="mt-1 block" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required data-testid="csv-file" />
      </label>
      <button type="submit" className={buttonClass} disabled={busy || !file} data-testid="csv-import">
        {t('practitioners.csvImport')}
      </button>
      {imported !== null ? (
        <p role="status" className="font-semibold text-emerald-800" data-testid="csv-imported">
          {t('practitioners.csvImported', { count: imported })}
        </p>
      ) : null}
      {error ? (
        <div data-testid="csv-errors">
          <ErrorNotice message={error.message} code={error.code} />
          <ul className="mt-2 list-disc pl-6 text-sm text-red-900">
            {rows.map((r) => (
              <li key={`${r.line}-${r.reason}`}>{t('practitioners.csvRow', { line: r.line, reason: r.reason })}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </form>
  );
}
