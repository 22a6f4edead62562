import type { KoaContextWithOIDC, ErrorOut } from 'oidc-provider';
import ja from '../i18n/messages/ja.json' with { type: 'json' };
import en from '../i18n/messages/en.json' with { type: 'json' };
import { errorMessage } from '../errors/catalogue.ts';
import { localeFromCookieHeader, type Locale } from '../i18n/locale.ts';

/** The few pages oidc-provider renders itself (errors, logout), in the portal's look and language. */
function text(locale: Locale) {
  return (locale === 'en' ? en : ja).providerPages;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(locale: Locale, title: string, body: string): string {
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;background:#f4f6f8;color:#1b2733;margin:0}
main{max-width:36rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.5rem;margin-top:0}code{background:#eef1f4;padding:.1rem .4rem;border-radius:4px}
button{font-size:1.1rem;padding:.8rem 1.6rem;border-radius:8px;border:0;background:#0b5cad;color:#fff;cursor:pointer;margin-right:.5rem}
button.secondary{background:#e3e8ee;color:#1b2733}</style></head><body><main>${body}</main></body></html>`;
}

function localeOf(ctx: KoaContextWithOIDC): Locale {
  return localeFromCookieHeader(ctx.get('cookie'));
}

export async function renderErrorPage(ctx: KoaContextWithOIDC, out: ErrorOut, _error: unknown): Promise<void> {
  ctx.type = 'html';
  ctx.body = renderStandaloneError(localeOf(ctx), out.error ?? 'internal_error');
}

export async function renderLogoutPage(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const locale = localeOf(ctx);
  const t = text(locale);
  const client = ctx.oidc.client;
  const name = client ? String(client.clientName ?? client.clientId) : '';
  ctx.type = 'html';
  ctx.body = page(
    locale,
    t.logoutTitle,
    `${form}<h1>${escapeHtml(t.logoutTitle)}</h1>
<p>${escapeHtml(t.logoutQuestion)}</p>${name ? `<p>${escapeHtml(t.logoutFrom)}: <strong>${escapeHtml(name)}</strong></p>` : ''}
<p><button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">${escapeHtml(t.logoutYes)}</button>
<button class="secondary" type="submit" form="op.logoutForm">${escapeHtml(t.logoutNo)}</button></p>`,
  );
}

export async function renderLogoutSuccessPage(ctx: KoaContextWithOIDC): Promise<void> {
  const locale = localeOf(ctx);
  const t = text(locale);
  ctx.type = 'html';
  ctx.body = page(locale, t.loggedOutTitle, `<h1>${escapeHtml(t.loggedOutTitle)}</h1><p>${escapeHtml(t.loggedOutBody)}</p>`);
}

/** An error page outside any oidc-provider request (e.g. an interaction whose cookie is gone). */
export function renderStandaloneError(locale: Locale, code: string, backTo?: string, params?: Record<string, string>): string {
  const t = text(locale);
  const back = backTo ? `<p><a href="${escapeHtml(backTo)}" data-testid="back-to-login">${escapeHtml(t.backToLogin)}</a></p>` : '';
  return page(
    locale,
    t.errorTitle,
    `<h1>${escapeHtml(t.errorTitle)}</h1><p>${escapeHtml(errorMessage(code, locale, params))}</p>
<p>${escapeHtml(t.errorCode)}: <code data-testid="error-code">${escapeHtml(code)}</code></p>${back}`,
  );
}
