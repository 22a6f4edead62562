import crypto from 'node:crypto';
import type { KoaContextWithOIDC, ErrorOut } from 'oidc-provider';
import ja from '../i18n/messages/ja.json' with { type: 'json' };
import en from '../i18n/messages/en.json' with { type: 'json' };
import { errorMessage } from '../errors/catalogue.ts';
import { localeFromCookieHeader, type Locale } from '../i18n/locale.ts';

/**
 * The few pages oidc-provider renders itself (errors, logout), in the portal's look: the same header
 * with the product name and the language switch, the demo banner in demo mode, Japanese first.
 */
export interface ProviderPageOptions {
  demo: boolean;
}

function messages(locale: Locale) {
  return locale === 'en' ? en : ja;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Only a path on this site goes back after a language switch. */
function languageSwitch(locale: Locale, returnTo: string | undefined): string {
  const target = locale === 'en' ? 'ja' : 'en';
  const back = returnTo && /^\/(?![/\\])/.test(returnTo) ? returnTo : '/';
  return `<a class="lang" href="/lang?set=${target}&amp;return=${encodeURIComponent(back)}" lang="${target}" data-testid="language-switch">${target === 'en' ? 'English' : '日本語'}</a>`;
}

interface PageParts {
  locale: Locale;
  title: string;
  body: string;
  returnTo?: string;
  options?: ProviderPageOptions;
  /** An inline script, allowed by its hash in the page's content-security policy. */
  script?: string;
  /** Leave out the way back home (a page that goes on by itself, e.g. the automatic logout). */
  noHomeLink?: boolean;
}

/**
 * The portal layout (app/layout.tsx) written out: these pages are not rendered by Next.js, so the
 * Tailwind classes they would use are given here as the same values (colours, widths, radii).
 */
const STYLE = `
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;background:#f8fafc;color:#0f172a;margin:0;min-height:100vh;line-height:1.5}
header{background:#fff;border-bottom:1px solid #e2e8f0}header>div{max-width:48rem;margin:0 auto;padding:.75rem 1rem;display:flex;justify-content:space-between;align-items:center;gap:.5rem}
.brand{display:flex;align-items:center;gap:.5rem;font-weight:700;font-size:1.125rem;color:#0c4a6e;text-decoration:none}.brand img{width:1.75rem;height:1.75rem}
.lang{font-size:.875rem;border:1px solid #cbd5e1;border-radius:6px;padding:.375rem .75rem;color:#0f172a;text-decoration:none}.lang:hover{background:#f8fafc}
.demo{background:#fef3c7;border-bottom:1px solid #fcd34d;color:#451a03}.demo p{max-width:48rem;margin:0 auto;padding:.5rem 1rem;font-size:.875rem;font-weight:600}
main{max-width:48rem;margin:0 auto;padding:2rem 1rem}section{background:#fff;border:1px solid #e2e8f0;border-radius:.75rem;padding:1.5rem;box-shadow:0 1px 2px rgba(0,0,0,.05)}
h1{font-size:1.5rem;font-weight:700;margin:0 0 .75rem}p{margin:.5rem 0}
.alert{border:1px solid #fca5a5;background:#fef2f2;color:#7f1d1d;border-radius:.5rem;padding:1rem;margin:.75rem 0}.alert .code{font-size:.75rem;color:#991b1b;margin-top:.5rem}
a{color:#075985}.back{display:inline-block;margin-top:1rem;font-weight:600}
button{font-size:1.125rem;font-weight:600;padding:.75rem 1.5rem;border-radius:.5rem;border:0;background:#0369a1;color:#fff;cursor:pointer;margin:.25rem .5rem .25rem 0}
button:hover{background:#075985}button.secondary{background:#e2e8f0;color:#0f172a;font-weight:400}button.secondary:hover{background:#cbd5e1}
@media (max-width:640px){button{width:100%;margin:.25rem 0}}`;

function page({ locale, title, body, returnTo, options, script, noHomeLink }: PageParts): string {
  const m = messages(locale);
  const banner = options?.demo ? `<div class="demo" role="note" data-testid="demo-banner"><p>${escapeHtml(m.common.demoBanner)}</p></div>` : '';
  const home = noHomeLink ? '' : `<p><a class="back" href="/" data-testid="back-home">${escapeHtml(m.common.backHome)}</a></p>`;
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="/favicon.ico" sizes="16x16 32x32"><link rel="icon" href="/favicon.svg" type="image/svg+xml">
<title>${escapeHtml(title)} | ${escapeHtml(m.common.productName)}</title><style>${STYLE}</style></head><body>
<header><div><a class="brand" href="/" data-testid="brand"><img src="/logo.svg" alt="" width="28" height="28">${escapeHtml(m.common.productName)}</a>${languageSwitch(locale, returnTo)}</div></header>${banner}
<main><section>${body}${home}</section></main>${script ? `<script>${script}</script>` : ''}</body></html>`;
}

/** Sends a page; with a script, a content-security policy that allows exactly that script. */
function send(ctx: KoaContextWithOIDC, html: string, script?: string) {
  ctx.type = 'html';
  if (script) {
    const hash = crypto.createHash('sha256').update(script).digest('base64');
    ctx.set('content-security-policy', `default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; base-uri 'none'; frame-ancestors 'none'`);
  }
  ctx.body = html;
}

function localeOf(ctx: KoaContextWithOIDC): Locale {
  return localeFromCookieHeader(ctx.get('cookie'));
}

function currentPath(ctx: KoaContextWithOIDC): string {
  return String((ctx.req as { originalUrl?: string }).originalUrl ?? ctx.originalUrl ?? '/');
}

export function errorPageRenderer(options: ProviderPageOptions) {
  return async (ctx: KoaContextWithOIDC, out: ErrorOut, _error: unknown): Promise<void> => {
    const locale = localeOf(ctx);
    send(ctx, standaloneError(locale, out.error ?? 'internal_error', { options, returnTo: ctx.method === 'GET' ? currentPath(ctx) : undefined }));
  };
}

/**
 * RP-initiated logout. With an ID token hint that oidc-provider validated and that names the person
 * of this browser's session, the logout of every service goes ahead without a question (a shared
 * terminal must not stay logged in because a button was not pressed); otherwise the question stays.
 */
export function logoutPageRenderer(options: ProviderPageOptions, hintMatchesSession: (ctx: KoaContextWithOIDC) => Promise<boolean>) {
  return async (ctx: KoaContextWithOIDC, form: string): Promise<void> => {
    const locale = localeOf(ctx);
    const t = messages(locale).providerPages;
    if (await hintMatchesSession(ctx)) {
      const confirmed = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
      const script = `document.getElementById('op.logoutForm').submit();`;
      const body = `${confirmed}<h1>${escapeHtml(t.loggingOut)}</h1><noscript><p><button type="submit" form="op.logoutForm" data-testid="logout-continue">${escapeHtml(t.continue)}</button></p></noscript>`;
      send(ctx, page({ locale, title: t.logoutTitle, options, script, body, noHomeLink: true }), script);
      return;
    }
    const client = ctx.oidc.client;
    const name = client ? String(client.clientName ?? client.clientId) : '';
    const body = `${form}<h1>${escapeHtml(t.logoutTitle)}</h1>
<p>${escapeHtml(t.logoutQuestion)}</p>${name ? `<p>${escapeHtml(t.logoutFrom)}: <strong>${escapeHtml(name)}</strong></p>` : ''}
<p><button autofocus type="submit" form="op.logoutForm" value="yes" name="logout" data-testid="logout-yes">${escapeHtml(t.logoutYes)}</button>
<button class="secondary" type="submit" form="op.logoutForm" data-testid="logout-no">${escapeHtml(t.logoutNo)}</button></p>`;
    send(ctx, page({ locale, title: t.logoutTitle, options, returnTo: currentPath(ctx), body }));
  };
}

export function logoutSuccessPageRenderer(options: ProviderPageOptions) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    const locale = localeOf(ctx);
    const t = messages(locale).providerPages;
    send(
      ctx,
      page({
        locale,
        title: t.loggedOutTitle,
        options,
        returnTo: currentPath(ctx),
        body: `<h1>${escapeHtml(t.loggedOutTitle)}</h1><p data-testid="logged-out-body">${escapeHtml(t.loggedOutBody)}</p>`,
      }),
    );
  };
}

function standaloneError(locale: Locale, code: string, extra: { backTo?: string; params?: Record<string, string>; options?: ProviderPageOptions; returnTo?: string } = {}): string {
  const t = messages(locale).providerPages;
  const back = extra.backTo ? `<p><a class="back" href="${escapeHtml(extra.backTo)}" data-testid="back-to-login">${escapeHtml(t.backToLogin)}</a></p>` : '';
  // What to do first; the code in a small line for the help desk (as ErrorNotice in app/components).
  return page({
    locale,
    title: t.errorTitle,
    options: extra.options,
    returnTo: extra.returnTo,
    body: `<h1>${escapeHtml(t.errorTitle)}</h1><div class="alert" role="alert" data-testid="error"><p>${escapeHtml(errorMessage(code, locale, extra.params))}</p>
<p class="code">${escapeHtml(t.errorCode)}: <span data-testid="error-code">${escapeHtml(code)}</span></p></div>${back}`,
  });
}

/** An error page outside any oidc-provider request (e.g. an interaction whose cookie is gone). */
export function renderStandaloneError(locale: Locale, code: string, backTo?: string, params?: Record<string, string>, options?: ProviderPageOptions): string {
  return standaloneError(locale, code, { backTo, params, options });
}
