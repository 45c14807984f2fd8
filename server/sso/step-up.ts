import type { KoaContextWithOIDC } from 'oidc-provider';
import { HPKI_ACR, HPKI_ACR_FRESH } from '../../protocol/sso.js';

/**
 * Step-up (docs/sso.md "Step-up"): a request whose `acr_values`, or whose essential `acr` claim
 * (`claims.id_token.acr` with `value` or `values`), names HPKI_ACR_FRESH gets a card login for that
 * request even when a session lives. The login it gets is marked HPKI_ACR_FRESH, for that request
 * only: the next request of the session gets HPKI_ACR again (`settleFreshAcr`).
 */

interface AcrRequest {
  essential?: unknown;
  value?: unknown;
  values?: unknown;
}

function claimsAcr(claims: unknown): AcrRequest | undefined {
  let parsed = claims;
  if (typeof claims === 'string') {
    try {
      parsed = JSON.parse(claims);
    } catch {
      return undefined;
    }
  }
  const acr = (parsed as { id_token?: { acr?: unknown } } | undefined)?.id_token?.acr;
  return typeof acr === 'object' && acr !== null ? (acr as AcrRequest) : undefined;
}

/** The request's parameters (`acr_values`, `claims`) ask for a fresh card login. */
export function asksForFreshCard(params: Record<string, unknown>): boolean {
  const acrValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
  if (acrValues.includes(HPKI_ACR_FRESH)) return true;
  const acr = claimsAcr(params.claims);
  if (acr === undefined) return false;
  const values = Array.isArray(acr.values) ? acr.values : [acr.value];
  return acr.essential === true && values.includes(HPKI_ACR_FRESH);
}

/** The login prompt's check: a fresh card is asked for and this request has not just logged in. */
export function needsFreshCard(ctx: KoaContextWithOIDC): boolean {
  const params = (ctx.oidc.params ?? {}) as Record<string, unknown>;
  return asksForFreshCard(params) && ctx.oidc.result?.login === undefined;
}

/**
 * A session whose last login answered a step-up carries HPKI_ACR_FRESH; any later request of it
 * (not the resume that completes that login) sees HPKI_ACR again, so no SSO answer claims a fresh card.
 */
export function settleFreshAcr(ctx: KoaContextWithOIDC): void {
  const session = ctx.oidc?.session;
  if (session?.acr === HPKI_ACR_FRESH && ctx.oidc.route !== 'resume') session.acr = HPKI_ACR;
}
