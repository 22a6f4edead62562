'use client';
import { useState, type FormEvent } from 'react';
import { useRouter } from 'next/navigation';
import { useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';

/** Approve a link request with the service's own user ID for this person, or reject it. */
export function LinkDecision({ linkId }: { linkId: string }) {
  const t = useTranslations('admin');
  const router = useRouter();
  const [serviceUserId, setServiceUserId] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function decide(decision: 'approve' | 'reject', e?: FormEvent) {
    e?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await postJson(`/api/admin/link-requests/${linkId}/${decision}`, decision === 'approve' ? { serviceUserId } : {});
      router.refresh();
    } catch (err) {
      setError(toApiError(err, String(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="mt-2 flex flex-wrap items-end gap-3" onSubmit={(e) => decide('approve', e)}>
      <label className="block">
        <span className="text-sm font-semibold">{t('links.serviceUserId')}</span>
        <input
          className="mt-1 block rounded-lg border border-slate-300 px-3 py-2"
          value={serviceUserId}
          onChange={(e) => setServiceUserId(e.target.value)}
          required
          data-testid={`link-user-id-${linkId}`}
        />
      </label>
      <button type="submit" className={buttonClass} disabled={busy} data-testid={`link-approve-${linkId}`}>
        {t('links.approve')}
      </button>
      <button type="button" className={secondaryButtonClass} disabled={busy} onClick={() => decide('reject')} data-testid={`link-reject-${linkId}`}>
        {t('links.reject')}
      </button>
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </form>
  );
}
