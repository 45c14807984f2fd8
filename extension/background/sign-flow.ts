import { bytesToHex, decodeBase64Strict } from '../../protocol/base64.js';
import { HpkiError } from '../../protocol/errors.js';
import type { FindCardsResult } from '../../protocol/messages.js';
import type { PageSigningCertificateResult, PageSignParams, PageSignResult } from '../../protocol/page-messages.js';
import { HOST_COMMAND_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { SignedDocument } from '../shared/index.js';
import { type CardFlowSteps, type FoundCard, runCardFlow, runConfirmFlow } from './card-flow.js';
import type { FlowRequest, FlowRunner } from './flow-runner.js';
import type { HostSession } from './native-host.js';

/**
 * 電子署名 from a page (PROTOCOL.md §11), as a second instance of the card flow machine run by the
 * same flow runner as the login (so one flow at a time in the browser, one per tab):
 * `getSigningCertificate` finds the card, reads its signing certificate and waits in `confirm` for
 * the doctor's consent; the window then stays open for the tab's next `sign` (held-window.ts: the
 * tab keeps the browser's slot meanwhile), which asks the signing PIN in it (`pin`, purpose `sign`,
 * the site's label and the start of the hash) and spends it once with the host's `sign`. A `sign`
 * without a window held for its tab opens one of its own; any other flow of the tab closes it first.
 */

export interface SignRequest extends FlowRequest {
  params: PageSignParams;
}

export interface SignService {
  getSigningCertificate(request: FlowRequest): Promise<PageSigningCertificateResult>;
  sign(request: SignRequest): Promise<PageSignResult>;
  /** The tab went away: its flow and any window held for it end. */
  cancelTab(tabId: number): void;
}

/** How many bytes of the hash the window shows, in hex. */
export const HASH_START_BYTES = 8;

/** Every HPKI card found, each described by its signing certificate and the signing PIN's counter. */
async function findSigningCards(host: HostSession, waitMs: number, waiting: () => void): Promise<FindCardsResult> {
  const found = await host.request('find-cards', { waitMs }, waitMs + HOST_COMMAND_TIMEOUT_MS, (event) => {
    if (event.type === 'waiting-for-card') waiting();
  });
  const cards: FoundCard[] = [];
  for (const card of found.cards) cards.push(await host.request('get-signing-certificate', { reader: card.reader }));
  return { cards, others: found.others };
}

function signSteps(origin: string, params: PageSignParams): CardFlowSteps<PageSignResult> {
  return {
    async find(host, waitMs, waiting) {
      const found = await findSigningCards(host, waitMs, waiting);
      const cards = found.cards.filter((card) => card.certificateSha256 === params.certificateSha256);
      // No PIN is asked for a card that is not the one whose certificate the site has.
      if (found.cards.length > 0 && cards.length === 0)
        throw new HpkiError('ERR_HPKI_CARD_CHANGED', 'the card is not the one whose certificate the site has');
      return { cards, others: found.others };
    },
    spend: (host, card, pin) =>
      host.request('sign', {
        origin,
        hashAlgorithm: params.hashAlgorithm,
        hash: params.hash,
        certificateSha256: params.certificateSha256,
        pin,
        reader: card.reader,
      }),
  };
}

function documentOf(params: PageSignParams): SignedDocument {
  const hash = decodeBase64Strict(params.hash) ?? new Uint8Array();
  const document: SignedDocument = {
    hashStart: bytesToHex(hash.subarray(0, HASH_START_BYTES)),
    hashAlgorithm: params.hashAlgorithm,
  };
  if (params.label !== undefined) document.label = params.label;
  return document;
}

function certificateResult(card: FoundCard): PageSigningCertificateResult {
  const { certificate, certificateSha256, intermediates, issuer, notAfter, holder } = card;
  return { certificate, certificateSha256, intermediates, issuer, notAfter, holder };
}

export function createSignService(runner: FlowRunner): SignService {
  return {
    getSigningCertificate: (request) =>
      runner.gated(request, async (origin, signal) => {
        const steps = { find: findSigningCards };
        const use = { purpose: 'sign' as const, hold: true };
        const card = await runner.inWindow(request, origin, signal, use, (ctx) => runConfirmFlow(steps, ctx));
        return certificateResult(card);
      }),

    sign: (request) =>
      runner.gated(
        request,
        (origin, signal, reuse) => {
          const use = { purpose: 'sign' as const, reuse, document: documentOf(request.params) };
          const steps = signSteps(origin, request.params);
          return runner.inWindow(request, origin, signal, use, (ctx) => runCardFlow(steps, ctx));
        },
        true,
      ),

    cancelTab: (tabId) => runner.cancelTab(tabId),
  };
}
