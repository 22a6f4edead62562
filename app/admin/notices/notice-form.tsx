'use client';
import { useState, type FormEvent } from 'react';
import { useRouter } from 'next/navigation';
import { useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { fromJapanLocal, toJapanLocal } from './japan-local';
import { useHydrated } from '@/app/components/use-hydrated';

export interface NoticeFormValue {
  id?: string;
  title: string;
  body: string;
  startsAt: string;
  endsAt: string;
  audience: 'all' | 'role' | 'admins';
  hcRole: string | null;
}

const field = 'mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2';

/** Create or edit one notice; dates are entered in Japan time. */
/** `value` without an id: a new notice with the page's default dates (computed on the server, so both renders agree). */
export function NoticeForm({ value, roles }: { value: NoticeFormValue; roles: { role: string; label: string }[] }) {
  const hydrated = useHydrated();
  const t = useTranslations('admin.notices');
  const router = useRouter();
  const [audience, setAudience] = useState(value.audience);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const element = e.currentTarget;
    const form = new FormData(element);
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const body = {
        title: String(form.get('title') ?? ''),
        body: String(form.get('body') ?? ''),
        startsAt: fromJapanLocal(String(form.get('startsAt'))),
        endsAt: fromJapanLocal(String(form.get('endsAt'))),
        audience,
        hcRole: audience === 'role' ? String(form.get('hcRole') ?? '') : null,
      };
      await postJson(value.id ? `/api/admin/notices/${value.id}` : '/api/admin/notices', body);
      if (value.id) {
        setDone(true);
        router.refresh();
      } else {
        // A fresh form for the next one; the list above shows the new notice.
        element.reset();
        setAudience('all');
        router.push('/admin/notices?saved=1');
        router.refresh();
      }
    } catch (err) {
      setError(err instanceof RangeError ? new ApiError('admin_input_invalid', t('badDate'), {}) : toApiError(err, String(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="mt-4 space-y-4" data-testid="notice-form">
      <label className="block">
        <span className="font-semibold">{t('titleField')}</span>
        <input name="title" required maxLength={200} defaultValue={value.title} className={field} data-testid="notice-title" />
      </label>
      <label className="block">
        <span className="font-semibold">{t('bodyField')}</span>
        <span className="block text-sm text-slate-600">{t('bodyHelp')}</span>
        <textarea name="body" required maxLength={5000} rows={6} defaultValue={value.body} className={field} data-testid="notice-body" />
      </label>
      <div className="flex flex-wrap gap-4">
        <label className="block">
          <span className="font-semibold">{t('startsAt')}</span>
          <input type="datetime-local" name="startsAt" required defaultValue={toJapanLocal(value.startsAt)} className={field} data-testid="notice-starts" />
        </label>
        <label className="block">
          <span className="font-semibold">{t('endsAt')}</span>
          <input type="datetime-local" name="endsAt" required defaultValue={toJapanLocal(value.endsAt)} className={field} data-testid="notice-ends" />
        </label>
      </div>
      <p className="text-sm text-slate-600">{t('datesHelp')}</p>
      <fieldset>
        <legend className="font-semibold">{t('audience')}</legend>
        <div className="mt-1 flex flex-wrap gap-4">
          {(['all', 'role', 'admins'] as const).map((a) => (
            <label key={a} className="flex items-center gap-2">
              <input type="radio" name="audience" value={a} checked={audience === a} onChange={() => setAudience(a)} data-testid={`notice-audience-${a}`} />
              {t(`audienceLabel.${a}`)}
            </label>
          ))}
        </div>
      </fieldset>
      {audience === 'role' ? (
        <label className="block">
          <span className="font-semibold">{t('hcRole')}</span>
          <select name="hcRole" defaultValue={value.hcRole ?? 'Medical Doctor'} className={field} data-testid="notice-role">
            {roles.map((r) => (
              <option key={r.role} value={r.role}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" className={buttonClass} disabled={busy || !hydrated} data-testid="notice-save">
          {value.id ? t('save') : t('create')}
        </button>
        <a href="/admin/notices" className={secondaryButtonClass}>
          {t('back')}
        </a>
      </div>
      {done ? (
        <p role="status" className="text-emerald-800" data-testid="notice-saved">
          {t('saved')}
        </p>
      ) : null}
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </form>
  );
}

/** Delete, after a confirmation; the list is shown again. */
export function DeleteNotice({ id, title }: { id: string; title: string }) {
  const hydrated = useHydrated();
  const t = useTranslations('admin.notices');
  const [error, setError] = useState<ApiError | null>(null);
  async function remove() {
    if (!window.confirm(t('confirmDelete', { title }))) return;
    try {
      await postJson(`/api/admin/notices/${id}/delete`);
      // A whole page load: the list is read afresh and the page has its title before anything reads it.
      window.location.assign('/admin/notices?deleted=1');
    } catch (err) {
      setError(toApiError(err, String(err)));
    }
  }
  return (
    <div className="mt-6">
      <button disabled={!hydrated} type="button" onClick={remove} className={`${secondaryButtonClass} !border-red-700 !text-red-800`} data-testid="notice-delete">
        {t('delete')}
      </button>
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </div>
  );
}
