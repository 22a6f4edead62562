'use client';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslations } from 'next-intl';
import { Card, ErrorNotice, buttonClass } from '@/app/components/card';
import { postJson, toApiError } from '@/app/components/post-json';
import { CardError, authenticateWithCard, cardMessageCode, isCardExtensionAvailable } from '@/app/components/card/web-eid-bridge';
import { useHydrated } from '@/app/components/use-hydrated';

type Failure = { code: string; message: string; remaining?: number; reason?: string };

/**
 * On a terminal with the card bridge: the registration code and its password prove who the person
 * is, the My Number Card read through the bridge proves possession — the first link of the card for
 * someone who has no HPKI card (seed 002). Hidden where the bridge does not answer (a phone).
 */
export function MyNumberCardLink({ code }: { code: string }) {
  const t = useTranslations();
  const hydrated = useHydrated();
  const [bridge, setBridge] = useState<boolean | null>(null);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const base = `/api/register/${encodeURIComponent(code)}/my-number-card`;

  useEffect(() => {
    let current = true;
    void isCardExtensionAvailable(2).then((ok) => current && setBridge(ok));
    return () => {
      current = false;
    };
  }, []);

  async function link(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      // Nonce and token stay in local variables: never in state, the DOM or the console.
      const { nonce } = await postJson<{ nonce: string }>(`${base}/challenge`, { password });
      setPassword('');
      const token = await authenticateWithCard(nonce, 'jpki');
      await postJson(`${base}/link`, { nonce, token });
      setDone(true);
    } catch (error) {
      if (error instanceof CardError) {
        const messageCode = cardMessageCode(error.code, 'jpki');
        setFailure({ code: messageCode, message: t(`errors.${messageCode}`), reason: error.reason });
      } else {
        const e = toApiError(error, t('errors.internal_error'));
        setFailure({ code: e.code, message: e.message, remaining: typeof e.body.remaining === 'number' ? e.body.remaining : undefined });
      }
    } finally {
      setBusy(false);
    }
  }

  if (!bridge) return null;
  return (
    <Card testId="registration-mnc">
      <h2 className="text-xl font-bold">{t('register.mnc.title')}</h2>
      <p className="mt-2 text-slate-700">{t('register.mnc.intro')}</p>
      {done ? (
        <p className="mt-4 rounded-lg bg-emerald-50 p-4 font-semibold text-emerald-800" data-testid="registration-mnc-done">
          {t('register.mnc.done')}
        </p>
      ) : (
        <form onSubmit={link} className="mt-4 space-y-3" noValidate>
          <label htmlFor="mnc-password" className="block font-semibold">
            {t('register.passwordLabel')}
          </label>
          <input
            id="mnc-password"
            inputMode="numeric"
            autoComplete="off"
            maxLength={8}
            value={password}
            disabled={!hydrated}
            onChange={(e) => setPassword(e.target.value.replace(/\D/g, ''))}
            aria-describedby="mnc-password-help"
            className="block w-full rounded-lg border border-slate-300 px-4 py-3 text-2xl tracking-widest"
            data-testid="registration-mnc-password"
          />
          <p id="mnc-password-help" className="text-sm text-slate-600">
            {t('register.mnc.pinHint')}
          </p>
          <button type="submit" className={buttonClass} disabled={!hydrated || busy || password.length !== 8} data-testid="registration-mnc-link">
            {busy ? t('myNumberCard.step.bridge') : t('register.mnc.button')}
          </button>
          {failure ? (
            <div data-testid="registration-mnc-failure">
              <ErrorNotice message={failure.message} code={failure.code} />
              {failure.remaining !== undefined && failure.remaining > 0 ? (
                <p className="mt-2 font-semibold text-red-800">{t('register.remaining', { count: failure.remaining })}</p>
              ) : null}
            </div>
          ) : null}
        </form>
      )}
    </Card>
  );
}
