import { describe, expect, it } from 'vitest';
import ja from '../../src/i18n/messages/ja.json' with { type: 'json' };
import en from '../../src/i18n/messages/en.json' with { type: 'json' };
import { ACR } from '../../src/auth/assurance.ts';
import { LOGIN_METHODS as REGISTERED, LOGIN_METHOD_IDS, acrsOf, availableLoginMethods, isLoginMethodId, loginMethod, methodsUsing, offeredAs, stepPath } from '../../src/auth/methods/registry.ts';
import { RATE_LIMIT_DEFAULTS } from '../../src/config/rate-limits.ts';
import { interactionRoutes } from '../../src/http/routes/interaction-routes.ts';
import { addressLimitFor } from '../../src/http/request-limits.ts';
import { matchRoute } from '../../src/http/route.ts';
import type { LoginMethodDefinition } from '../../src/auth/login-method.ts';

const LOGIN_METHODS: readonly LoginMethodDefinition[] = REGISTERED;

/** Issue 14: one registry declares every login method; everything that needs a method reads it. */
const message = (catalogue: unknown, key: string) => key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], catalogue);

describe('the login-method registry', () => {
  it('lists each method once, in chooser order, with unique URL segments and step paths', () => {
    // Cards first, the smartphone last (the chooser's order; a new method needs no change here).
    expect(LOGIN_METHOD_IDS.indexOf('hpki-card')).toBeLessThan(LOGIN_METHOD_IDS.indexOf('passkey'));
    expect(new Set(LOGIN_METHOD_IDS).size).toBe(LOGIN_METHODS.length);
    const segments = LOGIN_METHODS.map((m) => m.routeSegment ?? m.id);
    expect(new Set(segments).size).toBe(segments.length);
    const paths = LOGIN_METHODS.flatMap((m) => m.steps.map((s) => stepPath(m, s)));
    expect(new Set(paths).size).toBe(paths.length);
    // No step may shadow the interaction's own endpoints.
    expect(paths.filter((p) => p === 'consent' || p === 'abort')).toEqual([]);
  });

  it('declares chooser texts that exist in both catalogues, and devices', () => {
    for (const m of LOGIN_METHODS) {
      for (const key of [m.chooser.titleKey, m.chooser.descriptionKey]) {
        expect(typeof message(ja, key), `${m.id}: ja ${key}`).toBe('string');
        expect(typeof message(en, key), `${m.id}: en ${key}`).toBe('string');
      }
      expect(m.chooser.devices.length, m.id).toBeGreaterThan(0);
      expect(m.chooser.panel, m.id).toMatch(/^[a-z-]+$/);
    }
  });

  it('declares limits that exist, an assurance level from assurance.ts, and an offering entry that is a method', () => {
    for (const m of LOGIN_METHODS) {
      expect(Object.values(ACR), m.id).toContain(m.assurance.acr);
      expect(m.assurance.amr.length, m.id).toBeGreaterThan(0);
      expect(isLoginMethodId(offeredAs(m.id)), m.id).toBe(true);
      for (const s of m.steps) {
        expect(Object.keys(RATE_LIMIT_DEFAULTS), `${m.id}/${s.path}`).toContain(s.addressLimit);
        expect(Object.keys(RATE_LIMIT_DEFAULTS), `${m.id}/${s.path}`).toContain(s.loginLimit);
      }
      // Every method has exactly one step that logs the person in.
      expect(m.steps.filter((s) => s.authenticates).length, m.id).toBe(1);
    }
  });

  it('mounts every step under /interaction/:uid/, with its address limit', () => {
    for (const m of LOGIN_METHODS) {
      for (const s of m.steps) {
        const path = `/interaction/abc123/${stepPath(m, s)}`;
        const found = matchRoute(interactionRoutes, s.httpMethod, path);
        expect(found, path).toBeTypeOf('object');
        expect((found as { params: string[] }).params[0]).toBe('abc123');
        expect(addressLimitFor(path), path).toBe(s.addressLimit);
      }
    }
    expect(matchRoute(interactionRoutes, 'POST', '/interaction/abc123/no-such-method/verify')).toBeUndefined();
    expect(matchRoute(interactionRoutes, 'GET', '/interaction/abc123/passkey/verify')).toBe('method');
  });

  it('offers card methods only where their trust anchors are, the TLS login only with its origin', () => {
    const none = availableLoginMethods({ hpkiTrust: false, jpkiTrust: false });
    expect(none).toEqual(expect.arrayContaining(['passkey', 'passkey-cross-device']));
    expect(none).not.toEqual(expect.arrayContaining(['hpki-card']));
    expect(none.filter((id) => ['hpki-card', 'hpki-cert', 'jpki'].includes(id))).toEqual([]);
    expect(availableLoginMethods({ hpkiTrust: true, jpkiTrust: false })).toContain('hpki-card');
    expect(availableLoginMethods({ hpkiTrust: true, jpkiTrust: false })).not.toContain('hpki-cert');
    expect(availableLoginMethods({ hpkiTrust: true, jpkiTrust: false, hpkiCertOrigin: 'https://sso.example:8443' })).toContain('hpki-cert');
    expect(availableLoginMethods({ hpkiTrust: false, jpkiTrust: false, hpkiCertOrigin: 'https://sso.example:8443' })).not.toContain('hpki-cert');
    expect(availableLoginMethods({ hpkiTrust: false, jpkiTrust: true })).toContain('jpki');
    // Always in registry order.
    const all = availableLoginMethods({ hpkiTrust: true, jpkiTrust: true, hpkiCertOrigin: 'https://sso.example:8443' });
    expect(all).toEqual(LOGIN_METHOD_IDS.filter((id) => all.includes(id)));
  });

  it('answers the portal’s questions by credential, not by name', () => {
    expect(methodsUsing('passkey')).toEqual(expect.arrayContaining(['passkey-cross-device', 'passkey']));
    expect(methodsUsing('hpki-certificate')).toEqual(expect.arrayContaining(['hpki-card', 'hpki-cert']));
    expect(methodsUsing('passkey')).not.toContain('hpki-card');
    expect(acrsOf('hpki-certificate')).toContain(ACR.hpki);
    expect(acrsOf('hpki-certificate')).not.toContain(ACR.passkey);
    expect(acrsOf('hpki-certificate', 'my-number-card').sort()).toEqual([ACR.hpki, ACR.jpki].sort());
    expect(offeredAs('passkey-cross-device')).toBe('passkey');
    expect(loginMethod('nope')).toBeUndefined();
  });
});
