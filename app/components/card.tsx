import type { ReactNode } from 'react';
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

export function ErrorNotice({ message, code }: { message: string; code?: string }) {
  return (
    <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900" data-testid="error">
      <p>{message}</p>
      {code && RELOGIN_CODES.has(code) ? <ReloginLink /> : null}
      {code ? <p className="mt-1 text-xs text-red-700" data-testid="error-code">{code}</p> : null}
    </div>
  );
}

export const buttonClass =
  'inline-flex items-center justify-center rounded-lg bg-sky-700 px-6 py-3 text-lg font-semibold text-white hover:bg-sky-800 disabled:opacity-50 w-full sm:w-auto';
export const secondaryButtonClass =
  'inline-flex items-center justify-center rounded-lg bg-slate-200 px-6 py-3 text-lg text-slate-900 hover:bg-slate-300 disabled:opacity-50 w-full sm:w-auto';
