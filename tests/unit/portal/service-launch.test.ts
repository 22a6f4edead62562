import { describe, expect, it } from 'vitest';
import { serviceLaunchUrl } from '../../../app/components/service-launch.ts';

const ISSUER = 'https://sso.example.jp/oidc';

describe('serviceLaunchUrl', () => {
  it('uses the registered initiate_login_uri with iss', () => {
    expect(serviceLaunchUrl({ initiate_login_uri: 'https://ehr.example.jp/sso' }, ISSUER)).toBe(`https://ehr.example.jp/sso?iss=${encodeURIComponent(ISSUER)}`);
    expect(serviceLaunchUrl({ initiate_login_uri: 'https://ehr.example.jp/sso?x=1' }, ISSUER)).toBe(`https://ehr.example.jp/sso?x=1&iss=${encodeURIComponent(ISSUER)}`);
  });

  it('otherwise goes to the site of the first redirect URI', () => {
    expect(serviceLaunchUrl({ redirect_uris: ['https://net.example.jp:8443/oidc/callback', 'https://other.example.jp/cb'] }, ISSUER)).toBe('https://net.example.jp:8443/');
  });

  it('has no launch for a service without either, or with an unusable URI', () => {
    expect(serviceLaunchUrl({}, ISSUER)).toBeNull();
    expect(serviceLaunchUrl(null, ISSUER)).toBeNull();
    expect(serviceLaunchUrl({ redirect_uris: ['not a url'] }, ISSUER)).toBeNull();
    expect(serviceLaunchUrl({ redirect_uris: ['com.example.app:/callback'] }, ISSUER)).toBeNull();
  });
});
