'use client';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useTranslations } from 'next-intl';
import { ErrorNotice, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { fileBase64 } from './file-base64';
import { useHydrated } from '@/app/components/use-hydrated';

/** One credential as the console lists it (GET …/signing-credentials), times already in Japan time. */
export interface CredentialRow {
  id: string;
  status: string;
  current: boolean;
  keyStore: string;
  keyAlgorithm: string;
  keyDestroyedAt: string | null;
  keyDestroyedLabel: string | null;
  certificate: { subject: string; issuer: string; serialNumber: string; notBeforeLabel: string; notAfterLabel: string; notAfter: string } | null;
}

type Action = 'revoke' | 'destroy-key' | 'renew' | 'certificate';

/**
 * The second certificate's lifecycle (seed 002: 暗号鍵の失効・廃棄): revoke, destroy the keys,
 * renew (a new key whose public key goes to the HPKI signing CA), attach the issued certificate.
 * Each control shows its own error beside it.
 */
export function SecondCertificate({ practitionerId, rows, pendingPublicKeyPem }: { practitionerId: string; rows: CredentialRow[]; pendingPublicKeyPem: string | null }) {
  const hydrated = useHydrated();
  const t = useTranslations('admin.secondCert');
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<Action, ApiError>>>({});
  const [done, setDone] = useState<string | null>(null);
  const [publicKey, setPublicKey] = useState<string | null>(null);
  const [algorithm, setAlgorithm] = useState<'RSA-2048' | 'EC-P256'>('RSA-2048');
  const [file, setFile] = useState<File | null>(null);
  const base = `/api/admin/practitioners/${practitionerId}/signing`;
  const current = rows.find((r) => r.current);
  const pending = pendingPublicKeyPem !== null;
  // The waiting key's public key: from the server while a renewal waits, or just made.
  const shownKey = pendingPublicKeyPem ?? publicKey;
  const anyKeyHeld = rows.some((r) => !r.keyDestroyedAt);

  async function run(action: Action, body: unknown, doneText: string) {
    setBusy(true);
    setErrors({});
    setDone(null);
    try {
      const result = await postJson<{ publicKeyPem?: string }>(`${base}/${action}`, body);
      setPublicKey(action === 'renew' ? (result.publicKeyPem ?? null) : null);
      setDone(doneText);
      router.refresh();
    } catch (e) {
      setErrors({ [action]: toApiError(e, String(e)) });
    } finally {
      setBusy(false);
    }
  }

  const small = `${secondaryButtonClass} !px-3 !py-2 !text-base`;
  const danger = `${small} !border-red-700 !text-red-800`;
  const errorOf = (a: Action) => (errors[a] ? <ErrorNotice message={errors[a]!.message} code={errors[a]!.code} /> : null);
  const pemUrl = shownKey ? `data:application/x-pem-file;charset=utf-8,${encodeURIComponent(shownKey)}` : null;

  return (
    <div className="mt-3 space-y-4" data-testid="second-certificate">
      {rows.length === 0 ? <p data-testid="second-cert-none">{t('none')}</p> : null}
      <ul className="divide-y divide-slate-200">
        {rows.map((r) => (
          <li key={r.id} className="py-3" data-testid="second-cert-row" data-status={r.status} data-current={r.current ? 'true' : 'false'}>
            <p className="font-semibold">
              {t(`status.${r.status}`)}
              {r.current ? <span className="ml-2 rounded bg-emerald-100 px-2 py-0.5 text-sm text-emerald-900">{t('current')}</span> : <span className="ml-2 text-sm font-normal text-slate-600">{t('earlier')}</span>}
            </p>
            <dl className="mt-1 grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]">
              <dt className="text-slate-600">{t('key')}</dt>
              <dd>
                {t(`keyStore.${r.keyStore === 'pkcs11' ? 'pkcs11' : 'software'}`)} · {r.keyAlgorithm} ·{' '}
                {r.keyDestroyedAt ? <span data-testid="key-destroyed">{t('keyDestroyed', { date: r.keyDestroyedLabel ?? '' })}</span> : t('keyHeld')}
              </dd>
              {r.certificate ? (
                <>
                  <dt className="text-slate-600">{t('subject')}</dt>
                  <dd className="break-all">{r.certificate.subject}</dd>
                  <dt className="text-slate-600">{t('serial')}</dt>
                  <dd className="break-all font-mono text-xs">{r.certificate.serialNumber}</dd>
                  <dt className="text-slate-600">{t('validity')}</dt>
                  <dd>
                    {r.certificate.notBeforeLabel} – <time dateTime={r.certificate.notAfter}>{r.certificate.notAfterLabel}</time>
                  </dd>
                </>
              ) : (
                <>
                  <dt className="text-slate-600">{t('certificate')}</dt>
                  <dd>{t('noCertificate')}</dd>
                </>
              )}
            </dl>
          </li>
        ))}
      </ul>
      {done ? (
        <p role="status" className="text-emerald-800" data-testid="second-cert-done">
          {done}
        </p>
      ) : null}
      <div className="space-y-4 border-t border-slate-200 pt-4">
        {current && current.status === 'active' ? (
          <div>
            <button className={danger} disabled={busy || !hydrated} data-testid="second-cert-revoke" onClick={() => window.confirm(t('confirmRevoke')) && run('revoke', {}, t('revoked'))}>
              {t('revoke')}
            </button>
            <p className="mt-1 text-sm text-slate-600">{t('revokeHelp')}</p>
            {errorOf('revoke')}
          </div>
        ) : null}
        {anyKeyHeld ? (
          <div>
            <button
              className={danger}
              disabled={busy || !hydrated}
              data-testid="second-cert-destroy"
              onClick={() => window.prompt(t('confirmDestroy', { word: t('destroyWord') }))?.trim() === t('destroyWord') && run('destroy-key', {}, t('destroyed'))}
            >
              {t('destroy')}
            </button>
            <p className="mt-1 text-sm text-slate-600">{t('destroyHelp')}</p>
            {errorOf('destroy-key')}
          </div>
        ) : null}
        {!pending ? (
          <div className="flex flex-wrap items-end gap-3">
            <label>
              <span className="block text-sm font-semibold">{t('algorithm')}</span>
              <select value={algorithm} onChange={(e) => setAlgorithm(e.target.value as 'RSA-2048' | 'EC-P256')} className="mt-1 rounded-lg border border-slate-300 px-3 py-2" data-testid="second-cert-algorithm">
                <option value="RSA-2048">RSA-2048</option>
                <option value="EC-P256">EC-P256</option>
              </select>
            </label>
            <button className={small} disabled={busy || !hydrated} data-testid="second-cert-renew" onClick={() => run('renew', { algorithm }, t('renewed'))}>
              {current ? t('renew') : t('enrol')}
            </button>
            <p className="basis-full text-sm text-slate-600">{t('renewHelp')}</p>
            <div className="basis-full">{errorOf('renew')}</div>
          </div>
        ) : null}
        {shownKey ? (
          <div className="rounded-lg border border-sky-200 bg-sky-50 p-3" data-testid="second-cert-public-key">
            <p className="font-semibold">{t('publicKey')}</p>
            <pre className="mt-2 overflow-x-auto whitespace-pre text-xs" tabIndex={0} aria-label={t('publicKey')}>
              {shownKey}
            </pre>
            <a className="mt-2 inline-block font-semibold text-sky-900 underline" href={pemUrl!} download={`public-key-${practitionerId}.pem`} data-testid="second-cert-public-key-download">
              {t('downloadPublicKey')}
            </a>
          </div>
        ) : null}
        {shownKey ? (
          <form
            className="flex flex-wrap items-end gap-3"
            onSubmit={async (e) => {
              e.preventDefault();
              if (file) await run('certificate', { file: await fileBase64(file) }, t('attached'));
            }}
          >
            <label>
              <span className="block text-sm font-semibold">{t('certificateFile')}</span>
              <input type="file" accept=".pem,.crt,.cer,.der" onChange={(e) => setFile(e.target.files?.[0] ?? null)} className="mt-1 block" data-testid="second-cert-file" />
            </label>
            <button type="submit" className={small} disabled={busy || !file || !hydrated} data-testid="second-cert-attach">
              {t('attach')}
            </button>
            <p className="basis-full text-sm text-slate-600">{t('attachHelp')}</p>
            <div className="basis-full">{errorOf('certificate')}</div>
          </form>
        ) : null}
      </div>
    </div>
  );
}
