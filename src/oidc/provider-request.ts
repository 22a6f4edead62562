import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/** The oidc-provider request being handled (its own AsyncLocalStorage context), or undefined outside one. */
export function currentProviderRequest(): KoaContextWithOIDC | undefined {
  return (Provider as unknown as { ctx?: KoaContextWithOIDC }).ctx;
}
