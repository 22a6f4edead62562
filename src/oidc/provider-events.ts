import type { AuditEntry } from '../audit/audit-log.ts';
import type { OidcProvider } from './provider.ts';
import type { EventEmitter } from 'node:events';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { REFRESH_RETRY_EVENT } from './refresh-token-retry.ts';

/** What the observer uses of the running portal (src/portal/portal.ts's Portal is one). */
export interface ProviderEventsContext {
  provider: OidcProvider;
  audit(entry: AuditEntry): Promise<void>;
  log(line: string): void;
}

/**
 * Security events that happen inside oidc-provider reach the audit log here: token grants, logout,
 * back-channel delivery. Error listeners log the code only, never tokens or secrets.
 */
export function observeProviderEvents(portal: ProviderEventsContext): void {
  const { provider } = portal;
  const audit = (entry: AuditEntry) => {
    portal.audit(entry).catch((e) => portal.log(`audit append failed: ${(e as Error).message}`));
  };

  provider.on('grant.success', (ctx) => {
    audit({
      event: 'token.issued',
      result: 'success',
      clientId: ctx.oidc.client?.clientId,
      practitionerId: ctx.oidc.entities.Account?.accountId ?? ctx.oidc.entities.Grant?.accountId,
      details: { grantType: ctx.oidc.params?.grant_type },
    });
  });
  provider.on('grant.error', (ctx, error) => {
    audit({
      event: 'token.issued',
      result: 'failure',
      clientId: ctx.oidc.client?.clientId,
      errorCode: (error as { error?: string }).error ?? 'error',
      details: { grantType: ctx.oidc.params?.grant_type },
    });
  });
  // A spent refresh token retried within REFRESH_TOKEN_RETRY_SECONDS (a lost response), answered with a fresh pair.
  (provider as unknown as EventEmitter).on(REFRESH_RETRY_EVENT, (ctx: KoaContextWithOIDC, superseded: number) => {
    audit({
      event: 'token.refresh_retried',
      result: 'success',
      clientId: ctx.oidc.client?.clientId,
      practitionerId: ctx.oidc.entities.Account?.accountId,
      details: { supersededRefreshTokens: superseded },
    });
  });
  provider.on('end_session.success', (ctx) => {
    audit({ event: 'logout', result: 'success', clientId: ctx.oidc.client?.clientId, practitionerId: ctx.oidc.session?.accountId });
  });
  provider.on('backchannel.success', (_ctx, client, accountId) => {
    audit({ event: 'logout.backchannel', result: 'success', clientId: client.clientId, practitionerId: accountId });
  });
  provider.on('backchannel.error', (_ctx, error, client, accountId) => {
    portal.log(`back-channel logout to ${client.clientId} failed: ${(error as Error).message} ${String((error as { cause?: unknown }).cause ?? "")}`);
    audit({
      event: 'logout.backchannel',
      result: 'failure',
      clientId: client.clientId,
      practitionerId: accountId,
      errorCode: (error as { error?: string }).error ?? (error as Error).name,
    });
  });
  provider.on('server_error', (_ctx, error) => {
    portal.log(`oidc server_error: ${(error as Error).name}: ${(error as Error).message}`);
  });
}
