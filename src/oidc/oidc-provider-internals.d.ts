/*
 * The two modules of oidc-provider (no published types) that refresh-token-retry.ts wraps: its own
 * refresh_token grant handler, and the helpers it is registered with (lib/helpers/initialize_app.js).
 */
declare module 'oidc-provider/lib/actions/grants/refresh_token.js' {
  export const handler: (provider: unknown, helpers: Record<string, (...args: unknown[]) => unknown>, ctx: unknown) => Promise<void>;
  export const parameters: Set<string>;
  export const grantType: string;
}

declare module 'oidc-provider/lib/helpers/grants.js' {
  const helpers: Record<string, (...args: unknown[]) => unknown>;
  export = helpers;
}
