import type { InstallationFacts, LoginMethodDefinition, LoginStep } from '../login-method.ts';
import { hpkiCardMethod } from './hpki-card/method.ts';
import { hpkiCertMethod } from './hpki-cert/method.ts';
import { jpkiMethod } from './jpki/method.ts';
import { passkeyCrossDeviceMethod } from './passkey-cross-device/method.ts';
import { passkeyMethod } from './passkey/method.ts';

/**
 * Every login method of the portal, in the order the login page shows them. The interaction routes,
 * the login page, the service policy and the portal session's card checks all read this list;
 * adding a method is its folder, one line here and its messages (README "Adding a login method").
 */
export const LOGIN_METHODS = [hpkiCardMethod, hpkiCertMethod, jpkiMethod, passkeyCrossDeviceMethod, passkeyMethod] as const;

export type LoginMethodId = (typeof LOGIN_METHODS)[number]['id'];

export const LOGIN_METHOD_IDS = LOGIN_METHODS.map((m) => m.id) as [LoginMethodId, ...LoginMethodId[]];

const byId = new Map<string, LoginMethodDefinition>(LOGIN_METHODS.map((m) => [m.id, m]));

export function isLoginMethodId(id: string): id is LoginMethodId {
  return byId.has(id);
}

export function loginMethod(id: string): LoginMethodDefinition | undefined {
  return byId.get(id);
}

/** A step's path under `/interaction/:uid/`: `<segment>[/<path>]`. */
export function stepPath(method: LoginMethodDefinition, step: LoginStep): string {
  return [method.routeSegment ?? method.id, step.path].filter(Boolean).join('/');
}

/** The methods this installation can offer at all, in chooser order. */
export function availableLoginMethods(installation: InstallationFacts): LoginMethodId[] {
  return LOGIN_METHODS.filter((m) => m.available(installation)).map((m) => m.id);
}

/** The `login_methods` entry of a service that offers `id` (the phone approving a terminal login is `passkey`). */
export function offeredAs(id: string): string {
  const method = byId.get(id);
  return method?.offeredAs ?? id;
}

/** The ids of the methods that log in with one of these credentials. */
export function methodsUsing(...credentials: LoginMethodDefinition['credential'][]): LoginMethodId[] {
  return LOGIN_METHODS.filter((m) => (credentials as string[]).includes(m.credential)).map((m) => m.id);
}

/** The acr levels reached by logins with one of these credentials. */
export function acrsOf(...credentials: LoginMethodDefinition['credential'][]): string[] {
  return [...new Set(LOGIN_METHODS.filter((m) => (credentials as string[]).includes(m.credential)).map((m) => m.assurance.acr))];
}
