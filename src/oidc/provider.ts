import Provider from 'oidc-provider';
import { providerConfiguration, type ProviderDependencies } from './configuration.ts';

export type OidcProvider = InstanceType<typeof Provider>;

export function createProvider(issuer: string, deps: ProviderDependencies, options: { trustProxy: boolean }): OidcProvider {
  const provider = new Provider(issuer, providerConfiguration(deps));
  // Behind a TLS-terminating proxy the scheme and host come from X-Forwarded-*.
  provider.proxy = options.trustProxy;
  return provider;
}
