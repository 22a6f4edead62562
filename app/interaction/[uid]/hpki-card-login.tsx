'use client';
import { useEffect, useRef, useState } from 'react';
import { useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson } from '@/app/components/post-json';
import { CardError, authenticateWithCard, cardMessageCode } from '@/app/components/card/web-eid-bridge';
import { rememberMethod } from './login-choice';
import { useHydrated } from '@/app/components/use-hydrated';

type Status =
  | { kind: 'idle' }
  | { kind: 'reading' }
  | { kind: 'verifying' }
  | { kind: 'done' }
  | { kind: 'error'; code: string; message: string; reason?: string };

/**
 * HPKI card login through the Web eID extension: challenge → the card signs it (the card
 * middleware asks the PIN) → the server verifies the token and the certificate. Without the
 * extension it shows nothing, except in demo mode where it explains what is missing.
 */
export function HpkiCardLogin({
  base,
  demo,
  extension,
  onExtensionAnswered,
  myNumberCardAnchor,
  autoStart = false,
  onRefused,
}: {
  /** `/interaction/<uid>` */
  base: string;
  demo: boolean;
  /** Whether the card extension answered this page (null while the chooser still asks). */
  extension: boolean | null;
  /** A card operation got an answer from the extension after all (it was slow to start). */
  onExtensionAnswered: () => void;
  /** The My Number Card section of this page, when it offers one: a wrong card points there. */
  myNumberCardAnchor?: string;
  /** Start reading at once: the person pressed this method's button in the list of other methods. */
  autoStart?: boolean;
  /** A refusal of the service's policy (qualification, level): the chooser shows it as its own page. */
  onRefused?: (code: string, message: string) => boolean;
}) {
  const hydrated = useHydrated();
  const t = useTranslations();
  const available = extension;
  const [status, setStatus] = useState<Status>({ kind: 'idle' });

  async function login() {
    setStatus({ kind: 'reading' });
    try {
      // Nonce and token stay in local variables: never in state, the DOM or the console.
      const { nonce } = await postJson<{ nonce: string; expiresAt: string }>(`${base}/hpki-card/challenge`);
      const token = await authenticateWithCard(nonce);
      setStatus({ kind: 'verifying' });
      const { redirectTo } = await postJson<{ redirectTo: string }>(`${base}/hpki-card/verify`, { nonce, token });
      setStatus({ kind: 'done' });
      rememberMethod('hpki-card');
      window.location.assign(redirectTo);
    } catch (error) {
      if (error instanceof CardError) {
        if (error.code !== 'card_extension_missing') onExtensionAnswered();
        const code = cardMessageCode(error.code, 'hpki');
        setStatus({ kind: 'error', code, message: t(`errors.${code}`), reason: error.reason });
      } else if (error instanceof ApiError) {
        if (onRefused?.(error.code, error.message)) return;
        setStatus({ kind: 'error', code: error.code, message: error.message });
      } else {
        setStatus({ kind: 'error', code: 'internal_error', message: t('errors.internal_error') });
      }
    }
  }

  const started = useRef(false);
  useEffect(() => {
    if (!autoStart || started.current) return;
    started.current = true;
    void login();
    // Once, on the click that mounted this panel.
  }, [autoStart]);

  if (available === null || (available === false && !demo)) return null;

  const busy = status.kind === 'reading' || status.kind === 'verifying' || status.kind === 'done';
  return (
    <div id="hpki-card-section" className="rounded-lg border border-slate-200 p-4" data-testid="hpki-card-section">
      <h2 className="text-lg font-semibold">{t('login.hpkiCard.title')}</h2>
      <p className="mt-1 text-slate-600">{t('login.hpkiCard.description')}</p>
      {available === false && status.kind !== 'error' ? (
        <p className="mt-2 text-slate-700" data-testid="hpki-card-missing">
          {t('login.hpkiCard.extensionMissing')}
        </p>
      ) : null}
      <button
        type="button"
        className={`${buttonClass} mt-3 sm:min-w-72`}
        onClick={login}
        disabled={busy || !hydrated}
        aria-describedby={busy ? 'hpki-card-progress' : undefined}
        data-testid="hpki-card-login"
      >
        {t('login.hpkiCard.button')}
      </button>
      <div aria-live="polite">
        {busy ? (
          <p id="hpki-card-progress" role="status" className="mt-3 flex items-center gap-2 text-slate-800" data-testid="hpki-card-progress">
            <span className="inline-block h-4 w-4 animate-spin rounded-full border-2 border-sky-700 border-t-transparent" aria-hidden="true" />
            {status.kind === 'reading' ? t('login.hpkiCard.reading') : t('login.hpkiCard.verifying')}
          </p>
        ) : null}
      </div>
      {busy && status.kind === 'reading' ? <p className="mt-1 text-sm text-slate-600">{t('login.hpkiCard.readingHint')}</p> : null}
      {status.kind === 'error' ? (
        <div className="mt-3">
          <ErrorNotice message={status.message} code={status.code} />
          {status.code === 'card_wrong_type_jpki' && myNumberCardAnchor ? (
            <a href={`#${myNumberCardAnchor}`} className={`${secondaryButtonClass} mt-2`} data-testid="hpki-card-use-other">
              {t('myNumberCard.useOtherMethod', { method: t('login.myNumberCard.title') })}
            </a>
          ) : null}
          {status.reason && status.reason !== status.code ? (
            <p className="mt-1 text-xs text-slate-500" data-testid="hpki-card-error-reason">
              {t('login.hpkiCard.errorReason', { reason: status.reason })}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
