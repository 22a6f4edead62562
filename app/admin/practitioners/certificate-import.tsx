'use client';
import { useState } from 'react';
import { useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass } from '@/app/components/card';
import { postJson } from '@/app/components/post-json';
import { useFileUpload } from '@/app/admin/use-file-upload';
import { fileBase64 } from './file-base64';

/** Enrol a practitioner from their HPKI authentication certificate (PEM or DER). */
export function CertificateImport() {
  const t = useTranslations('admin');
  const [registrationNumber, setRegistrationNumber] = useState('');
  const [birthDate, setBirthDate] = useState('');
  const { file, setFile, busy, result, error, submit } = useFileUpload(async (file) =>
    postJson<{ created: boolean; practitioner: { registrationNumber: string; name: string }; hcRoles: string[] }>('/api/admin/practitioners/import-certificate', {
      file: await fileBase64(file),
      ...(registrationNumber.trim() ? { registrationNumber: registrationNumber.trim() } : {}),
      ...(birthDate ? { birthDate } : {}),
    }),
  );

  return (
    <form className="mt-3 space-y-3" onSubmit={submit}>
      <label className="block">
        <span className="font-semibold">{t('practitioners.certFile')}</span>
        <input type="file" accept=".pem,.crt,.cer,.der" className="mt-1 block" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required data-testid="cert-file" />
      </label>
      <label className="block">
        <span className="font-semibold">{t('practitioners.certNumber')}</span>
        <input className="mt-1 block rounded-lg border border-slate-300 px-3 py-2" value={registrationNumber} onChange={(e) => setRegistrationNumber(e.target.value)} />
      </label>
      <label className="block">
        <span className="font-semibold">{t('practitioners.certBirthDate')}</span>
        <input type="date" className="mt-1 block rounded-lg border border-slate-300 px-3 py-2" value={birthDate} onChange={(e) => setBirthDate(e.target.value)} />
      </label>
      <button type="submit" className={buttonClass} disabled={busy || !file} data-testid="cert-import">
        {t('practitioners.certImport')}
      </button>
      {result ? (
        <p role="status" className="font-semibold text-emerald-800" data-testid="cert-imported">
          {t(result.created ? 'practitioners.certCreated' : 'practitioners.certUpdated', {
            name: result.practitioner.name,
            number: result.practitioner.registrationNumber,
            roles: result.hcRoles.join(', ') || '—',
          })}
        </p>
      ) : null}
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </form>
  );
}
