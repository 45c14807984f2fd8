import type { E2ePage } from './e2e-browser.js';

/** What a site's own script does with the page API of PROTOCOL.md §1.2, run inside the page. */
export interface PageApiAnswer {
  ack: boolean;
  answer: {
    type: string;
    result?: Record<string, unknown>;
    error?: { code: string; message: string; retriesLeft?: number };
  };
}

/**
 * Posts one request and waits for its answer. An `authenticate` is sent right after a real click in
 * the page (a login needs a user activation, as WebAuthn does) unless `activate` is false.
 */
export async function callPageApi(
  page: Pick<E2ePage, 'evaluate' | 'activate'>,
  request: Record<string, unknown>,
  timeoutMs = 60_000,
  options: { activate?: boolean } = {},
): Promise<PageApiAnswer> {
  if (options.activate ?? request.action === 'authenticate') await page.activate();
  return page.evaluate(
    ({ request, timeoutMs }) =>
      new Promise<PageApiAnswer>((resolve, reject) => {
        const id = `t-${Math.random().toString(36).slice(2)}`;
        let ack = false;
        const timer = setTimeout(() => reject(new Error(`no answer to ${String(request.action)}`)), timeoutMs);
        window.addEventListener('message', (event: MessageEvent) => {
          const data = event.data as { hpkiLogin?: number; id?: string; type?: string } | null;
          if (event.source !== window || data?.hpkiLogin !== 1 || data.id !== id) return;
          if (data.type === 'ack') {
            ack = true;
            return;
          }
          if (data.type === 'result' || data.type === 'error') {
            clearTimeout(timer);
            resolve({ ack, answer: data as PageApiAnswer['answer'] });
          }
        });
        window.postMessage({ hpkiLogin: 1, id, ...request }, location.origin);
      }),
    { request, timeoutMs },
  );
}
