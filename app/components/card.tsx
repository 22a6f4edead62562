import type { ReactNode } from 'react';
import { useTranslations } from 'next-intl';
import { ReloginLink } from './relogin-link';

export function Card({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <section className="rounded-xl bg-white p-6 shadow-sm border border-slate-200" data-testid={testId}>
      {children}
    </section>
  );
}

/** Codes after which the next step is always a fresh login. */
const RELOGIN_CODES = new Set(['session_idle', 'login_required']);

/** Passkey failures (browser refusals carry the DOMException name after the code) get the help page. */
const needsPasskeyHelp = (code: string) => code.startsWith('passkey_');

/**
 * An error a person reads: what to do first, then the stable code in a small line for the help desk.
 * data-testid="error-code" holds exactly the code.
 */
export function ErrorNotice({ message, code }: { message: string; code?: string }) {
  const t = useTranslations('common');
  return (
    <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900" data-testid="error">
      <p>{message}</p>
      {code && RELOGIN_CODES.has(code) ? <ReloginLink /> : null}
      {code && needsPasskeyHelp(code) ? (
        <a className="mt-2 inline-block font-semibold underline" href="/help/passkey" data-testid="passkey-help-link">
          {t('passkeyHelpLink')}
        </a>
      ) : null}
      {code ? (
        <p className="mt-2 text-xs text-red-800">
          {t('errorCode')}: <span data-testid="error-code">{code}</span>
        </p>
      ) : null}
    </div>
  );
}

export const buttonClass =
  'inline-flex items-center justify-center rounded-lg bg-sky-700 px-6 py-3 text-lg font-semibold text-white hover:bg-sky-800 disabled:opacity-50 w-full sm:w-auto';
export const secondaryButtonClass =
  'inline-flex items-center justify-center rounded-lg bg-slate-200 px-6 py-3 text-lg text-slate-900 hover:bg-slate-300 disabled:opacity-50 w-full sm:w-auto';
