import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import { send, sendJson } from '../http/index.js';
import { withTimeLimit } from '../shared/index.js';
import type { SsoStore } from './store.js';

/**
 * The provider's operations surface (PROTOCOL.md §10 "Operations"): `GET /healthz` (the process
 * serves), `GET /readyz` (its store answers and its keys are loaded; 503 within 2 s otherwise) and
 * `GET /metrics` (Prometheus text, prom-client), and the store watch that answers 503 at once while
 * the store is down, instead of letting every request wait for its own timeout.
 */

export interface SsoMetrics {
  registry: Registry;
  /** A login page was shown: a card login was asked for. */
  signInsStarted: Counter;
  /** A card login completed an interaction (the browser goes on to the client). */
  signInsCompleted: Counter;
  /** A sign-in ended without a code, by reason (`access_denied`, `login_required`, …). */
  signInsRefused: Counter<'reason'>;
  /** Codes issued, with or without a card login (single sign-on answers included). */
  codesIssued: Counter;
  /** Every answer by route label and status (429 and 503 among them). */
  responses: Counter<'route' | 'status'>;
}

export function createSsoMetrics(): SsoMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hpki_sso_' });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    signInsStarted: counter('hpki_sso_sign_ins_started_total', 'Card logins asked for (login page shown)'),
    signInsCompleted: counter('hpki_sso_sign_ins_completed_total', 'Card logins that completed an interaction'),
    signInsRefused: counter('hpki_sso_sign_ins_refused_total', 'Sign-ins ended without a code, by reason', ['reason']),
    codesIssued: counter('hpki_sso_codes_issued_total', 'Authorization codes issued'),
    responses: counter('hpki_sso_http_responses_total', 'Answers by route and status', ['route', 'status']),
  };
}

/** Reasons are OAuth error codes or the provider's own: a short token, never request text. */
export function refusalReason(error: unknown): string {
  return typeof error === 'string' && /^[a-z_]{1,40}$/.test(error) ? error : 'other';
}

export const READY_TIMEOUT_MS = 1_500;
const WATCH_INTERVAL_MS = 1_000;

export interface StoreWatch {
  /** False while the last probe failed: requests that need the store get 503 at once. */
  up(): boolean;
  /** Probes now (at most READY_TIMEOUT_MS); the reason when the store did not answer. */
  check(): Promise<string | undefined>;
  stop(): void;
}

/** Probes the store every second (a PING for Redis), and whenever asked. */
export function watchStore(store: SsoStore, onChange?: (up: boolean, reason?: string) => void): StoreWatch {
  let isUp = true;
  const check = async (): Promise<string | undefined> => {
    let reason: string | undefined;
    try {
      if ((await withTimeLimit(store.probe(), READY_TIMEOUT_MS)) === 'timeout')
        reason = `no answer within ${READY_TIMEOUT_MS} ms`;
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    if (isUp !== (reason === undefined)) {
      isUp = reason === undefined;
      onChange?.(isUp, reason);
    }
    return reason;
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void check().finally(() => {
      running = false;
    });
  }, WATCH_INTERVAL_MS);
  timer.unref();
  return { up: () => isUp, check, stop: () => clearInterval(timer) };
}

export interface OperationsDeps {
  metrics: SsoMetrics;
  watch: StoreWatch;
  /** The keys this process signs with are loaded. */
  keysLoaded(): boolean;
}

/** Answers `/healthz`, `/readyz` and `/metrics` (exact paths, GET or HEAD); false for any other request. */
export async function answerOperations(deps: OperationsDeps, req: IncomingMessage, res: ServerResponse, path: string) {
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'use GET\n', { Allow: 'GET, HEAD' });
    return true;
  }
  const noStore = { 'Cache-Control': 'no-store' };
  if (path === '/healthz') sendJson(res, 200, { status: 'ok' }, noStore);
  else if (path === '/readyz') {
    const reason = deps.keysLoaded() ? await deps.watch.check() : 'no signing keys';
    if (reason === undefined) sendJson(res, 200, { status: 'ready' }, noStore);
    else sendJson(res, 503, { status: 'not ready', reason: 'the store does not answer' }, noStore);
  } else send(res, 200, deps.metrics.registry.contentType, await deps.metrics.registry.metrics(), noStore);
  return true;
}
