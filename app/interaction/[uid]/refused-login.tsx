'use client';
import { useEffect, useRef, type ReactNode } from 'react';
import { useTranslations } from 'next-intl';
import { Card, ErrorNotice, buttonClass } from '@/app/components/card';
import type { Refusal } from './login-choice';

/**
 * The person was identified but the service's policy refuses them (its qualification or level):
 * a page of its own at the top, not a line under the methods (issue 16 §2). Trying another method
 * or going back to the service (access_denied) are the two ways on.
 */
export function RefusedLogin({ refusal, onRetry, cancelButton }: { refusal: Refusal; onRetry: () => void; cancelButton: ReactNode }) {
  const t = useTranslations('login.refused');
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    window.scrollTo(0, 0);
    heading.current?.focus();
  }, []);
  const title = refusal.code === 'service_acr_too_low' ? t('levelTitle') : t('qualificationTitle');
  return (
    <Card testId="login-refused">
      <h1 ref={heading} tabIndex={-1} className="text-2xl font-bold outline-none" data-testid="login-refused-title">
        {title}
      </h1>
      <div className="mt-4">
        <ErrorNotice message={refusal.message} code={refusal.code} />
      </div>
      <p className="mt-4 text-slate-700">{t('help')}</p>
      <div className="mt-6 flex flex-col gap-3 sm:flex-row">
        <button type="button" className={buttonClass} onClick={onRetry} data-testid="login-refused-retry">
          {t('retry')}
        </button>
        {cancelButton}
      </div>
    </Card>
  );
}
