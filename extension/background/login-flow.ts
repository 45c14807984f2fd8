import { HOST_COMMAND_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { Token } from '../../protocol/token.js';
import { type CardFlowSteps, runCardFlow } from './card-flow.js';
import { createFlowRunner, type FlowRequest, type FlowRunner, type FlowRunnerDeps } from './flow-runner.js';

/**
 * One login: the card flow (card-flow.ts) with `find-cards` and `authenticate`, run by the flow
 * runner (flow-runner.ts: §6 and enabled-site checks, the PIN window at once, one native port for
 * the whole login, one flow per tab and one in the whole browser at a time). The login ends, and
 * releases the browser's slot, the tab's entry, the window and the host, on every path: a token, an
 * error, the window closed or timed out, the host stopped, or its `signal` aborting (the requesting
 * page navigated, reloaded or closed: the content script's port went away).
 */

export interface LoginRequest extends FlowRequest {
  challenge: string;
}

export interface LoginService {
  authenticate(request: LoginRequest): Promise<Token>;
  /** The tab went away: its login, if any, is cancelled. */
  cancelTab(tabId: number): void;
}

export interface LoginDeps extends FlowRunnerDeps {
  /** Shared with the sign flow, so that one flow runs at a time in the browser. */
  runner?: FlowRunner;
}

/** The login's two card steps: every card read as `get-certificate` reads it, and `authenticate`. */
function loginSteps(origin: string, challenge: string): CardFlowSteps<Token> {
  return {
    find: (host, waitMs, waiting) =>
      host.request('find-cards', { waitMs }, waitMs + HOST_COMMAND_TIMEOUT_MS, (event) => {
        if (event.type === 'waiting-for-card') waiting();
      }),
    spend: async (host, card, pin) => {
      const { token } = await host.request('authenticate', {
        origin,
        challenge,
        pin,
        certificateSha256: card.certificateSha256,
        reader: card.reader,
      });
      return token;
    },
  };
}

export function createLoginService(deps: LoginDeps): LoginService {
  const runner = deps.runner ?? createFlowRunner(deps);
  return {
    authenticate: (request) =>
      runner.gated(request, async (origin, signal) => {
        const steps = loginSteps(origin, request.challenge);
        return runner.inWindow(request, origin, signal, { purpose: undefined }, (ctx) => runCardFlow(steps, ctx));
      }),
    cancelTab: (tabId) => runner.cancelTab(tabId),
  };
}
