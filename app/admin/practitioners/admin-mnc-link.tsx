'use client';
import { useState, type FormEvent } from 'react';
import { useRouter } from 'next/navigation';
import { useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass } from '@/app/components/card';
import { ApiError, postJson } from '@/app/components/post-json';
import { CardError, authenticateWithCard, cardMessageCode } from '@/app/components/card/web-eid-bridge';

type Failure = { code: string; message: string };

/**
 * An administrator links a practitioner's My Number Card after seeing them in person (issue 17):
 * the check is confirmed and its checker named (both go into the audit), then the practitioner's
 * card is read on this terminal through the card bridge (the PIN in the extension's window).
 * The card proves who holds it, never a qualification (SPEC §2).
 */
export function AdminMncLink({ practitionerId, replacing }: { practitionerId: string; replacing: boolean }) {
  const t = useTranslations();
  const router = useRouter();
  const [checked, setChecked] = useState(false);
  const [checkedBy, setCheckedBy] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const base = `/api/admin/practitioners/${practitionerId}/my-number-card`;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!checked || !checkedBy.trim()) return;
    if (replacing && !window.confirm(t('admin.mncLink.confirmReplace'))) return;
    setBusy(true);
    setFailure(null);
    setDone(null);
    try {
      const { nonce } = await postJson<{ nonce: string }>(`${base}/challenge`);
      const token = await authenticateWithCard(nonce, 'jpki');
      const result = await postJson<{ replaced: boolean }>(`${base}/link`, { inPersonCheck: true, checkedBy: checkedBy.trim(), proof: { nonce, token } });
      setDone(result.replaced ? t('admin.mncLink.replaced') : t('admin.mncLink.linked'));
      router.refresh();
    } catch (error) {
      if (error instanceof CardError) {
        const code = cardMessageCode(error.code, 'jpki');
        setFailure({ code, message: t(`errors.${code}`) });
      } else if (error instanceof ApiError) {
        setFailure({ code: error.code, message: error.message });
      } else {
        setFailure({ code: 'internal_error', message: t('errors.internal_error') });
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="mt-3 space-y-3" data-testid="admin-mnc-link">
      <p className="text-slate-700">{t('admin.mncLink.intro')}</p>
      <label className="flex items-start gap-2">
        <input type="checkbox" className="mt-1 h-5 w-5" checked={checked} onChange={(e) => setChecked(e.target.checked)} required data-testid="mnc-in-person" />
        <span>{t('admin.mncLink.inPerson')}</span>
      </label>
      <label className="block">
        <span className="font-semibold">{t('admin.mncLink.checkedBy')}</span>
        <span className="block text-sm text-slate-600">{t('admin.mncLink.checkedByHelp')}</span>
        <input value={checkedBy} onChange={(e) => setCheckedBy(e.target.value)} required maxLength={100} className="mt-1 block w-full max-w-md rounded-lg border border-slate-300 px-3 py-2" data-testid="mnc-checked-by" />
      </label>
      <button type="submit" className={buttonClass} disabled={busy || !checked || !checkedBy.trim()} data-testid="mnc-admin-link">
        {busy ? t('admin.mncLink.reading') : t('admin.mncLink.button')}
      </button>
      {busy ? (
        <p role="status" className="text-slate-700">
          {t('admin.mncLink.waiting')}
        </p>
      ) : null}
      {done ? (
        <p role="status" className="font-semibold text-emerald-800" data-testid="mnc-admin-linked">
          {done}
        </p>
      ) : null}
      {failure ? (
        <div data-testid="mnc-admin-failure">
          <ErrorNotice message={failure.message} code={failure.code} />
        </div>
      ) : null}
    </form>
  );
}
