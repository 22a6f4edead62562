'use client';
import { useState } from 'react';
import { useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass } from '@/app/components/card';
import { postJson } from '@/app/components/post-json';
import { useFileUpload } from '@/app/admin/use-file-upload';
import { fileBase64 } from '../practitioners/file-base64';

/** Upload of an anchor, an issuing CA or a CRL (PEM or DER) for HPKI or JPKI. */
export function TrustUpload() {
  const t = useTranslations('admin');
  const [scheme, setScheme] = useState<'hpki' | 'jpki'>('hpki');
  const [kind, setKind] = useState<'anchor' | 'intermediate' | 'crl'>('anchor');
  const { file, setFile, busy, result, error, submit } = useFileUpload(async (file) => {
    await postJson('/api/admin/trust', { scheme, kind, file: await fileBase64(file), fileName: file.name });
    return true;
  });
  const done = result === true;

  return (
    <form className="mt-3 space-y-3" onSubmit={submit}>
      <fieldset>
        <legend className="font-semibold">{t('trust.scheme')}</legend>
        {(['hpki', 'jpki'] as const).map((s) => (
          <label key={s} className="mr-4 inline-flex items-center gap-2">
            <input type="radio" name="scheme" checked={scheme === s} onChange={() => setScheme(s)} data-testid={`trust-scheme-${s}`} />
            {t(`trust.schemes.${s}`)}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend className="font-semibold">{t('trust.kind')}</legend>
        {(['anchor', 'intermediate', 'crl'] as const).map((k) => (
          <label key={k} className="mr-4 inline-flex items-center gap-2">
            <input type="radio" name="kind" checked={kind === k} onChange={() => setKind(k)} data-testid={`trust-kind-${k}`} />
            {t(`trust.role.${k}`)}
          </label>
        ))}
      </fieldset>
      <label className="block">
        <span className="font-semibold">{t('trust.file')}</span>
        <input type="file" className="mt-1 block" accept=".pem,.crt,.cer,.der,.crl" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required data-testid="trust-file" />
      </label>
      <button type="submit" className={buttonClass} disabled={busy || !file} data-testid="trust-upload">
        {t('trust.upload')}
      </button>
      {done ? <p role="status" className="font-semibold text-emerald-800">{t('trust.uploaded')}</p> : null}
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </form>
  );
}
