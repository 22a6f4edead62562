'use client';
import { useEffect, useRef, useState } from 'react';
import { useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { rememberMethod } from './login-choice';
import { useHydrated } from '@/app/components/use-hydrated';

interface Started {
  request: string;
  url: string;
  qrDataUrl: string;
  expiresInSeconds: number;
}

type Phase = 'idle' | 'starting' | 'waiting' | 'approved' | 'expired' | 'cancelled' | 'error';

/**
 * 「スマートフォンで認証」 (seed 003): shows the one-time QR code of this login with a countdown,
 * asks the server every 1.5 s whether the registered phone approved, and then completes the login
 * by itself. The deadline is counted from the server's remaining seconds, not the terminal's clock.
 */
export function CrossDeviceLogin({
  base,
  autoStart = false,
  onRefused,
}: {
  base: string;
  /** Show the code at once (the smartphone panel's 「QRコードを表示」 mounted this). */
  autoStart?: boolean;
  /** A refusal of the service's policy: the chooser shows it as its own page. */
  onRefused?: (code: string, message: string) => boolean;
}) {
  const hydrated = useHydrated();
  const t = useTranslations();
  const [shown, setShown] = useState<(Started & { deadline: number }) | null>(null);
  const [phase, setPhase] = useState<Phase>('idle');
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const finishing = useRef(false);

  function fail(e: unknown) {
    const err = toApiError(e, t('errors.internal_error'));
    if (onRefused?.(err.code, err.message)) return;
    setError({ code: err.code, message: err.message });
    setPhase('error');
  }

  async function start() {
    setPhase('starting');
    setError(null);
    finishing.current = false;
    try {
      const started = await postJson<Started>(`${base}/cross-device/start`);
      setShown({ ...started, deadline: Date.now() + started.expiresInSeconds * 1000 });
      setNow(Date.now());
      setPhase('waiting');
    } catch (e) {
      fail(e);
    }
  }

  async function complete(request: string) {
    if (finishing.current) return;
    finishing.current = true;
    setPhase('approved');
    try {
      const { redirectTo } = await postJson<{ redirectTo: string }>(`${base}/cross-device/complete`, { request });
      rememberMethod('passkey-cross-device');
      window.location.assign(redirectTo);
    } catch (e) {
      fail(e);
    }
  }

  const autoStarted = useRef(false);
  useEffect(() => {
    if (!autoStart || autoStarted.current) return;
    autoStarted.current = true;
    void start();
    // Once, on the click that mounted this part.
  }, [autoStart]);

  // The visible countdown.
  useEffect(() => {
    if (phase !== 'waiting') return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [phase]);

  // Waiting for the phone: polling is enough for a 2-minute window and survives any proxy.
  useEffect(() => {
    if (phase !== 'waiting' || !shown) return;
    let stopped = false;
    const poll = async () => {
      try {
        const res = await fetch(`${base}/cross-device/status?request=${encodeURIComponent(shown.request)}`, {
          credentials: 'same-origin',
          cache: 'no-store',
        });
        const body = (await res.json()) as { status?: string; error?: string; message?: string };
        if (stopped) return;
        if (!res.ok) return fail(new ApiError(String(body.error ?? 'internal_error'), String(body.message ?? ''), body));
        if (body.status === 'approved') return void complete(shown.request);
        if (body.status === 'expired') setPhase('expired');
        else if (body.status === 'cancelled' || body.status === 'used') setPhase('cancelled');
      } catch {
        // A network hiccup: the next tick asks again.
      }
    };
    void poll();
    const timer = setInterval(poll, 1500);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [phase, shown, base]);

  const seconds = shown ? Math.max(0, Math.ceil((shown.deadline - now) / 1000)) : 0;
  useEffect(() => {
    if (phase === 'waiting' && shown && seconds === 0) setPhase('expired');
  }, [phase, shown, seconds]);

  return (
    <div data-testid="cross-device-section">
      {phase === 'idle' || (phase === 'error' && !shown) || phase === 'starting' ? (
        <button className={`${buttonClass} mt-3`} onClick={start} disabled={phase === 'starting' || !hydrated} data-testid="cross-device-login">
          {phase === 'starting' ? t('crossDevice.starting') : t('crossDevice.button')}
        </button>
      ) : null}
      {shown && phase !== 'idle' && phase !== 'starting' ? (
        <div className="mt-4 space-y-3">
          {phase === 'waiting' || phase === 'approved' ? (
            <>
              <p className="font-semibold">{t('crossDevice.scan')}</p>
              <img src={shown.qrDataUrl} alt={t('crossDevice.qrAlt')} width={280} height={280} className="rounded border border-slate-200" data-testid="cross-device-qr" />
              <p className="text-sm text-slate-600">{t('crossDevice.urlLabel')}</p>
              <p className="break-all rounded bg-slate-100 p-2 font-mono text-sm" data-testid="cross-device-url">
                {shown.url}
              </p>
              <div aria-hidden="true" className="h-2 w-full overflow-hidden rounded bg-slate-200">
                <div className="h-2 bg-sky-700 transition-all" style={{ width: `${(seconds / shown.expiresInSeconds) * 100}%` }} />
              </div>
              <p className="text-lg font-semibold" data-testid="cross-device-countdown" aria-live="off">
                {t('crossDevice.countdown', { seconds })}
              </p>
            </>
          ) : null}
          <p role="status" aria-live="polite" data-testid="cross-device-status" data-status={phase}>
            {phase === 'waiting' ? t('crossDevice.waiting') : null}
            {phase === 'approved' ? t('crossDevice.approved') : null}
            {phase === 'expired' ? t('crossDevice.expired') : null}
            {phase === 'cancelled' ? t('crossDevice.cancelled') : null}
          </p>
          {phase === 'waiting' ? <p className="text-sm text-slate-500">{t('crossDevice.help')}</p> : null}
          {phase !== 'approved' ? (
            <button disabled={!hydrated} className={secondaryButtonClass} onClick={start} data-testid="cross-device-new-code">
              {t('crossDevice.newCode')}
            </button>
          ) : null}
        </div>
      ) : null}
      {error ? (
        <div className="mt-3">
          <ErrorNotice message={error.message} code={error.code} />
        </div>
      ) : null}
    </div>
  );
}
