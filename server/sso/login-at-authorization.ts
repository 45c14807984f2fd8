import type { KoaContextWithOIDC } from 'oidc-provider';
import { bindAndRenderLogin, type InteractionDeps, onlyRoleRefused } from './interactions.js';

/**
 * oidc-provider answers an authorization request that needs a login with a redirect to the
 * interaction's page (`/interaction/<uid>`), having set the interaction and resume cookies. This
 * middleware answers that page in the same response instead (status 200, the cookies kept): one
 * request fewer per sign-in. The page at `/interaction/<uid>` stays for everything else (a reload
 * there, the role-only refusal that needs the interaction cookie, a resume that asks again), and
 * when the binding cannot be written the redirect goes out unchanged.
 */
export function loginAtAuthorization(
  deps: InteractionDeps,
): (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void> {
  return async (ctx, next) => {
    await next();
    const interaction = ctx.oidc?.entities?.Interaction;
    if (ctx.oidc?.route !== 'authorization' || ctx.status !== 303 || interaction === undefined) return;
    if (ctx.response.get('Location') !== `/interaction/${interaction.uid}`) return;
    if (interaction.prompt.name !== 'login' || onlyRoleRefused(interaction)) return;
    let page: Awaited<ReturnType<typeof bindAndRenderLogin>>;
    try {
      page = await bindAndRenderLogin(deps, ctx.req, interaction);
    } catch {
      return; // the page at the redirect tries again, and answers what it meets
    }
    ctx.remove('Location');
    for (const [name, value] of Object.entries(page.headers)) ctx.append(name, value);
    ctx.status = 200;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page.body;
  };
}
