import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from '../portal/portal.ts';

/** What a route's handler is given: the request, and the pattern's capture groups in order. */
export interface RouteContext {
  portal: Portal;
  req: IncomingMessage;
  res: ServerResponse;
  pathname: string;
  /** The capture groups of `pattern`, in order (a group that did not take part is ''). */
  params: string[];
}

/**
 * The one way the HTTP layer registers an endpoint: every routes module exports a table of these,
 * and `router.ts` tries the tables in order (first pattern that matches wins; a match with another
 * method is 405).
 */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Anchored (^…$), matched against the path without the query. */
  pattern: RegExp;
  handle(ctx: RouteContext): Promise<void>;
}

/** The route for a request, 'method' when only the method differs, or undefined. */
export function matchRoute(routes: readonly Route[], method: string, pathname: string): { route: Route; params: string[] } | 'method' | undefined {
  let methodMismatch = false;
  for (const route of routes) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) {
      methodMismatch = true;
      continue;
    }
    return { route, params: match.slice(1).map((p) => p ?? '') };
  }
  return methodMismatch ? 'method' : undefined;
}
