import { describe, expect, it } from 'vitest';
import { renderStandaloneError } from '../../../src/oidc/provider-pages.ts';

describe('provider pages in the portal layout', () => {
  it('has the header with the way home, the language switch, the favicon and a back link', () => {
    const html = renderStandaloneError('ja', 'interaction_expired');
    expect(html).toContain('<a class="brand" href="/" data-testid="brand"><img src="/logo.svg"');
    expect(html).toContain('data-testid="language-switch"');
    expect(html).toContain('href="/lang?set=en&amp;return=%2F"');
    expect(html).toContain('<link rel="icon" href="/favicon.ico"');
    expect(html).toContain('<a class="back" href="/" data-testid="back-home">ポータルのトップへ戻る</a>');
  });

  it('leads with what to do, the code in a small line holding exactly the code', () => {
    const html = renderStandaloneError('en', 'interaction_expired');
    const message = html.indexOf('<div class="alert" role="alert" data-testid="error"><p>');
    const code = html.indexOf('Error code: <span data-testid="error-code">interaction_expired</span>');
    expect(message).toBeGreaterThan(0);
    expect(code).toBeGreaterThan(message);
    expect(html).toContain('<html lang="en">');
  });

  it('shows the demo banner once in demo mode and never otherwise', () => {
    expect(renderStandaloneError('ja', 'internal_error', undefined, undefined, { demo: true }).match(/data-testid="demo-banner"/g)).toHaveLength(1);
    expect(renderStandaloneError('ja', 'internal_error')).not.toContain('demo-banner');
  });

  it('escapes the back link and keeps the way back to the login', () => {
    const html = renderStandaloneError('ja', 'interaction_expired', '/interaction/a"b');
    expect(html).toContain('href="/interaction/a&#34;b" data-testid="back-to-login"');
  });
});
