/**
 * Where the home page's launch button of a service goes: its OIDC third-party-initiated login URI
 * (initiate_login_uri, with iss so the service knows which provider) when registered; otherwise the
 * site of its first redirect URI, whose login starts SSO with this portal.
 */
export function serviceLaunchUrl(metadata: unknown, issuer: string): string | null {
  const m = (metadata ?? {}) as { initiate_login_uri?: unknown; redirect_uris?: unknown };
  if (typeof m.initiate_login_uri === 'string' && m.initiate_login_uri) {
    const url = m.initiate_login_uri;
    return `${url}${url.includes('?') ? '&' : '?'}iss=${encodeURIComponent(issuer)}`;
  }
  const first = Array.isArray(m.redirect_uris) ? m.redirect_uris.find((u): u is string => typeof u === 'string') : undefined;
  if (!first) return null;
  try {
    const origin = new URL(first).origin;
    return origin === 'null' ? null : `${origin}/`;
  } catch {
    return null;
  }
}
