import type { LoginMethod, LoginStep, MethodDependencies } from '../login-method.ts';

/**
 * The steps of a method that follows the usual two-step shape (`LoginMethod`: `begin` gives the
 * browser a challenge, `finish` checks its answer and logs the person in), as JSON endpoints with
 * the standard limits: `<begin>` counts as a challenge, `<finish>` as a login attempt.
 */
export function challengeSteps(paths: { begin: string; finish: string }, create: (deps: MethodDependencies) => LoginMethod): LoginStep[] {
  return [
    {
      path: paths.begin,
      httpMethod: 'POST',
      response: 'json',
      addressLimit: 'challenge-ip',
      loginLimit: 'challenge-interaction',
      run: async (deps, { ctx }) => ({ json: await create(deps).begin(ctx) }),
    },
    {
      path: paths.finish,
      authenticates: true,
      httpMethod: 'POST',
      response: 'json',
      addressLimit: 'finish-ip',
      loginLimit: 'finish-interaction',
      run: async (deps, { ctx, body }) => ({ auth: await create(deps).finish(ctx, await body()) }),
    },
  ];
}
