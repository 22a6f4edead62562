import Provider from 'oidc-provider';
import { providerConfiguration, type ProviderDependencies } from './configuration.ts';
import { acceptOnlyRegisteredSecretMethod, explainClientAndGrantRefusals } from './client-authentication.ts';
import { allowRefreshTokenRetries } from './refresh-token-retry.ts';
import { batchProviderWrites } from './provider-write-batch.ts';

export type OidcProvider = InstanceType<typeof Provider>;

export function createProvider(issuer: string, deps: ProviderDependencies, options: { trustProxy: boolean }): OidcProvider {
  const provider = new Provider(issuer, providerConfiguration(deps));
  // Behind a TLS-terminating proxy the scheme and host come from X-Forwarded-*.
  provider.proxy = options.trustProxy;
  // A request's writes to the provider's state go out in one statement, before its answer.
  provider.use(batchProviderWrites);
  // The OAuth rules oidc-provider has no option for (issue 13): each in its own file.
  acceptOnlyRegisteredSecretMethod(provider);
  explainClientAndGrantRefusals(provider);
  allowRefreshTokenRetries(provider, { sql: deps.sql, graceSeconds: deps.refreshRetrySeconds });
  // Unknown paths under /oidc answer like every other endpoint: a JSON error with a code.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.body = { error: 'not_found', error_description: 'no such endpoint' };
    }
  });
  return provider;
}
