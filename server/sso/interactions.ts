import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { HpkiError } from '../../protocol/errors.js';
import { HPKI_ACR, HPKI_ACR_FRESH, HPKI_AMR, type SsoClient } from '../../protocol/sso.js';
import {
  type Bilingual,
  type HpkiRouteLimits,
  pageLanguage,
  type RouteHandler,
  type SessionCookie,
  type StartedSession,
  send,
} from '../http/index.js';
import { isStoreUnreachable, randomBase64Url256 } from '../shared/index.js';
import { refuseWithBusyPage } from './busy-page.js';
import type { SsoLogin } from './login-proof.js';
import type { SsoMetrics } from './operations.js';
import { loginPage, messagePage } from './pages.js';
import { allowedRolesOf, clientOf } from './provider-config.js';
import { BINDING_GRACE_SECONDS, HPKI_RESULT_KEY, type SsoRecords, ssoLoginSchema } from './records.js';
import { asksForFreshCard } from './step-up.js';
import { refuseWhileStoreDown } from './store-down.js';

/**
 * The provider's interaction, as an HPKI-login site (PROTOCOL.md §10):
 * 1. `GET /interaction/:uid` (oidc-provider sent the browser here, with its interaction cookie):
 *    the login page, and a binding of the browser's HPKI session cookie to this interaction.
 * 2. The extension runs §1.1 against this origin: `GET /hpki/challenge` (challenge bound to that
 *    cookie), `POST /hpki/login` (token checked by the project's verifier), where `startSession`
 *    below takes the binding, checks the client's roles, finishes the interaction with what the
 *    login proved (or with `access_denied`), issues a new HPKI cookie and answers the redirect to
 *    oidc-provider's resume, `/auth/:uid`.
 * 3. The resume (oidc-provider) goes on only with its resume cookie, which it set for this
 *    interaction in the browser that made the authorization request (the browser goes on to the client).
 * A login finishes only the interaction its browser's HPKI cookie was bound to by a login page,
 * which only a browser holding that interaction's cookie is shown; and the resume needs the resume
 * cookie of the same interaction. So another browser cannot complete it, nor use its redirect.
 */

export interface InteractionDeps {
  /** The provider currently serving (it is rebuilt when the keys change). */
  provider: () => Provider;
  records: SsoRecords;
  clients: readonly SsoClient[];
  cookie: SessionCookie;
  providerName: string;
  /**
   * A login page writes a binding for the browser: it counts against the client's challenge rate,
   * so one client cannot fill the store with bindings of its own interactions.
   */
  limits?: Required<HpkiRouteLimits>;
  /** Sign-ins started (login page shown), completed (a card login finished an interaction) and refused. */
  metrics?: SsoMetrics;
  onInternalError?: (err: unknown) => void;
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{8,64})(?:\/(abort))?$/;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

type Interaction = InstanceType<Provider['Interaction']>;

/** The interaction's resume (oidc-provider's absolute `returnTo`) as the same-origin path §10 answers. */
function resumePath(interaction: Interaction): string {
  const url = new URL(interaction.returnTo);
  return `${url.pathname}${url.search}`;
}

/** What the interaction ends with: the login the card proved, or `access_denied` for its role. */
function loginResult(deps: InteractionDeps, interaction: Interaction, login: SsoLogin): InteractionResults {
  const params = interaction.params as Record<string, unknown>;
  const allowed = allowedRolesOf(deps.clients, typeof params.client_id === 'string' ? params.client_id : undefined);
  if (allowed !== undefined && !allowed.includes(login.hcRole)) {
    deps.metrics?.signInsRefused.inc({ reason: 'role_not_allowed' });
    return { error: 'access_denied', error_description: `this service does not admit the role '${login.hcRole}'` };
  }
  deps.metrics?.signInsCompleted.inc();
  const authTime = nowSeconds();
  // remember: false — the provider's session cookie ends with the browser (shared workstations).
  // What the card proved goes with the result: the resume keeps it for the session it logs into.
  return {
    login: {
      accountId: login.sub,
      acr: asksForFreshCard(params) ? HPKI_ACR_FRESH : HPKI_ACR,
      amr: [...HPKI_AMR],
      ts: authTime,
      remember: false,
    },
    [HPKI_RESULT_KEY]: { login, authTime },
  };
}

/** `startSession` of the HPKI login route: see step 2 above. */
export function ssoStartSession(
  deps: InteractionDeps,
): (login: SsoLogin, previous: string | undefined) => Promise<StartedSession> {
  return async (login, previous) => {
    const binding = previous === undefined ? undefined : await deps.records.takeBinding(previous);
    if (binding === undefined) {
      throw new HpkiError('ERR_CHALLENGE_UNKNOWN', 'no sign-in is pending in this browser: start again at the service');
    }
    const interaction =
      binding.interactionExpiresAt <= nowSeconds() ? undefined : await deps.provider().Interaction.find(binding.uid);
    if (interaction === undefined || interaction.prompt.name !== 'login') {
      throw new HpkiError('ERR_CHALLENGE_EXPIRED', 'the sign-in request has expired: start again at the service');
    }
    // As oidc-provider's interactionFinished does, without the interaction cookie this route has not got.
    interaction.result = loginResult(deps, interaction, ssoLoginSchema.parse(login));
    await interaction.save(interaction.exp - nowSeconds());
    return { sessionId: randomBase64Url256(), redirect: resumePath(interaction) };
  };
}

function html(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  send(res, status, 'text/html; charset=utf-8', body, headers);
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What the steps of one interaction share: the deps, and the ways they answer. */
interface InteractionContext {
  deps: InteractionDeps;
  refuse(req: IncomingMessage, res: ServerResponse, status: number, title: Bilingual, message: Bilingual): void;
  notThisBrowser(req: IncomingMessage, res: ServerResponse): void;
  finish(req: IncomingMessage, res: ServerResponse, result: InteractionResults): Promise<void>;
  count: { refused(reason: string): void };
}

const cannotContinue: Bilingual = { ja: 'ログインを続けられません', en: 'The sign-in cannot continue' };

function interactionContext(deps: InteractionDeps): InteractionContext {
  const refuse: InteractionContext['refuse'] = (req, res, status, title, message) =>
    html(res, status, messagePage(deps.providerName, pageLanguage(req.headers['accept-language']), title, message));
  return {
    deps,
    refuse,
    notThisBrowser: (req, res) =>
      refuse(req, res, 400, cannotContinue, {
        ja: 'このログインの期限が切れたか、別のブラウザで始められたものです。ログインしようとしたサービスに戻って、やり直してください。',
        en: 'This sign-in has expired or was started in another browser. Go back to the service and start again.',
      }),
    finish: (req, res, result) =>
      deps.provider().interactionFinished(req, res, result, { mergeWithLastSubmission: false }),
    count: {
      refused: (reason) => deps.metrics?.signInsRefused.inc({ reason }),
    },
  };
}

/** What the login page is made from: the pending interaction (oidc-provider's, or its details). */
export interface PendingLogin {
  uid: string;
  exp: number;
  prompt: { reasons: readonly string[] };
  params: Record<string, unknown>;
  session?: { accountId?: string | undefined } | undefined;
}

/** A login page whose only reason is the role check: the interaction ends with access_denied instead. */
export function onlyRoleRefused(pending: PendingLogin): boolean {
  const { reasons } = pending.prompt;
  return reasons.length === 1 && reasons[0] === 'hpki_role_not_allowed';
}

/**
 * Binds the browser's HPKI cookie (a new one when it has none) to the interaction and answers the
 * login page and its headers; counts a sign-in started.
 */
export async function bindAndRenderLogin(
  deps: InteractionDeps,
  req: IncomingMessage,
  pending: PendingLogin,
): Promise<{ body: string; headers: Record<string, string> }> {
  const { cookie, records, providerName } = deps;
  let sessionId = cookie.read(req.headers);
  const headers: Record<string, string> = {};
  if (sessionId === undefined) {
    sessionId = randomBase64Url256();
    headers['Set-Cookie'] = cookie.serialize(sessionId);
  }
  const ttl = Math.max(1, pending.exp - nowSeconds()) + BINDING_GRACE_SECONDS;
  await records.bind(sessionId, { uid: pending.uid, interactionExpiresAt: pending.exp }, ttl);
  const again =
    pending.prompt.reasons.some((r) => r === 'login_prompt' || r === 'max_age' || r === 'hpki_fresh_card') &&
    pending.session?.accountId !== undefined;
  deps.metrics?.signInsStarted.inc();
  const clientId = pending.params.client_id;
  const body = loginPage({
    providerName,
    clientName: clientOf(deps.clients, clientId)?.client_name ?? String(clientId),
    abortPath: `/interaction/${pending.uid}/abort`,
    again,
    lang: pageLanguage(req.headers['accept-language']),
  });
  return { body, headers };
}

/** Step 1: the login page, and the binding of the browser's HPKI cookie to this interaction. */
async function showLogin(
  ctx: InteractionContext,
  req: IncomingMessage,
  res: ServerResponse,
  details: Details,
): Promise<void> {
  if (onlyRoleRefused(details)) {
    ctx.count.refused('role_not_allowed');
    await ctx.finish(req, res, {
      error: 'access_denied',
      error_description: "the signed-in holder's role is not admitted by this service",
    });
    return;
  }
  const page = await bindAndRenderLogin(ctx.deps, req, details);
  html(res, 200, page.body, page.headers);
}

async function routeInteraction(
  ctx: InteractionContext,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  step: string | undefined,
): Promise<void> {
  let details;
  try {
    details = await ctx.deps.provider().interactionDetails(req, res);
  } catch (err) {
    // The store could not be reached: 503 as while the store watch has it down (§10), not the
    // "another browser" page a doctor would act on by starting over elsewhere.
    if (isStoreUnreachable(err)) refuseWhileStoreDown(req, res, ctx.deps.providerName);
    else ctx.notThisBrowser(req, res);
    return;
  }
  if (details.uid !== uid) {
    ctx.notThisBrowser(req, res);
    return;
  }
  if (details.prompt.name !== 'login') {
    // Consent is given by the operator's registration (loadExistingGrant); nothing else is asked.
    ctx.refuse(req, res, 400, cannotContinue, {
      ja: `想定していない確認です（${details.prompt.name}）。`,
      en: `Unexpected prompt: ${details.prompt.name}.`,
    });
    return;
  }
  if (step === undefined) await showLogin(ctx, req, res, details);
  else {
    ctx.count.refused('cancelled');
    await ctx.finish(req, res, { error: 'access_denied', error_description: 'the sign-in was cancelled' });
  }
}

export function createInteractionRoutes(deps: InteractionDeps): RouteHandler {
  const ctx = interactionContext(deps);
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://path.invalid').pathname;
    const match = INTERACTION_PATH.exec(path);
    if (match === null) {
      if (path !== '/interaction' && !path.startsWith('/interaction/')) return false;
      ctx.notThisBrowser(req, res);
      return true;
    }
    if (req.method !== 'GET') {
      send(res, 405, 'text/plain; charset=utf-8', 'use GET\n', { Allow: 'GET' });
      return true;
    }
    const limiter = deps.limits?.challenge;
    if (match[2] === undefined && limiter !== undefined && limiter !== false) {
      if (refuseWithBusyPage(req, res, deps.providerName, limiter.hit(deps.limits!.clientOf(req)))) return true;
    }
    try {
      await routeInteraction(ctx, req, res, match[1]!, match[2]);
    } catch (err) {
      deps.onInternalError?.(err);
      if (!res.headersSent)
        ctx.refuse(
          req,
          res,
          500,
          { ja: 'エラー', en: 'Error' },
          { ja: 'ログインを処理できませんでした。', en: 'The sign-in could not be processed.' },
        );
      else res.destroy();
    }
    return true;
  };
}
