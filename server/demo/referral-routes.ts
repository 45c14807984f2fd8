import type { IncomingMessage, ServerResponse } from 'node:http';
import { HpkiError } from '../../protocol/errors.js';
import type { DocumentVerifyOptions } from '../documents/index.js';
import {
  type Bilingual,
  type ClientOf,
  createRateLimiter,
  errorBody,
  isJsonContentType,
  type PageLang,
  parseJsonBody,
  readBody,
  SECURITY_HEADERS,
  send,
  sendJson,
} from '../http/index.js';
import { type CheckFailure, createDocumentChecker, MAX_UPLOAD_BYTES } from './document-check.js';
import { html, redirect } from './password-login.js';
import { claim, type PortalUser } from './portal-user.js';
import { REFERRAL_FILE_NAME } from './referral-letter.js';
import { loggedInWithCard, REFERRAL_PATHS, referralPage, referralResultPage, verifyPage } from './referral-pages.js';
import { CLIENT_LIBRARY_PATH, clientLibraryText, REFERRAL_SCRIPT, REFERRAL_SCRIPT_PATH } from './referral-script.js';
import { createReferralSigning, MAX_REFERRAL_BODY_BYTES } from './referral-signing.js';

/**
 * The portal's routes of 「紹介状に署名」 and 「署名を検証」 (docs/demo.md). The caller has already
 * refused cross-site POSTs; the signing routes need a card login, the verify page does not, but
 * its uploads are rate-limited per client and never touch a session.
 */

/** The referral page's CSP: the portal's own script and nothing else besides the usual. */
const REFERRAL_CSP = `${SECURITY_HEADERS['Content-Security-Policy']}; script-src 'self'`;

/** Uploads to 「署名を検証」 a client may send: 20 a minute. */
export const VERIFY_RATE = { limit: 20, windowMs: 60_000 };

const UPLOAD_ERRORS: Readonly<Record<CheckFailure | 'too-large' | 'no-file' | 'rate', Bilingual>> = {
  empty: { ja: 'ファイルが空です。', en: 'The file is empty.' },
  'no-file': { ja: 'ファイルを選んでください。', en: 'Choose a file.' },
  'unknown-format': {
    ja: 'PDF・CAdES（DER）・XML のいずれでもないファイルです。',
    en: 'The file is neither a PDF, a CAdES (DER) signature nor XML.',
  },
  busy: {
    ja: '混み合っています。少し待ってからもう一度お試しください。',
    en: 'The server is busy; try again in a moment.',
  },
  timeout: {
    ja: '検証に時間がかかりすぎたため中止しました。',
    en: 'The verification took too long and was stopped.',
  },
  'too-large': {
    ja: `ファイルが大きすぎます（合わせて ${MAX_UPLOAD_BYTES / 1024 / 1024} MB まで）。`,
    en: `The files are too large (${MAX_UPLOAD_BYTES / 1024 / 1024} MB together at most).`,
  },
  rate: {
    ja: '短い間に検証を繰り返しすぎています。1分ほど待ってください。',
    en: 'Too many verifications in a short time; wait a minute.',
  },
};

export interface ReferralRoutesOptions {
  /** The demo's trust for documents (its CRLs refreshed). */
  trust: () => DocumentVerifyOptions;
  clientOf: ClientOf;
}

export interface ReferralRequest {
  req: IncomingMessage;
  res: ServerResponse;
  key: string;
  lang: PageLang;
  current: { id: string; user: PortalUser } | undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown | HpkiError> {
  if (!isJsonContentType(req.headers['content-type'])) {
    return new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'expected application/json');
  }
  const body = await readBody(req, MAX_REFERRAL_BODY_BYTES);
  if (body === undefined) return new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the request is too large');
  const json = parseJsonBody(body);
  return json === undefined ? new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the request is not UTF-8 JSON') : json.value;
}

function sendError(res: ServerResponse, err: unknown): void {
  if (!(err instanceof HpkiError)) throw err;
  const status = err.code === 'ERR_HPKI_BUSY' ? 503 : err.code === 'ERR_HPKI_INTERNAL' ? 500 : 400;
  sendJson(res, status, errorBody(err.code, err.message), status === 400 ? {} : { Connection: 'close' });
}

/** The uploaded files of a multipart form, parsed by the platform's own form-data parser. */
async function uploadedFiles(
  req: IncomingMessage,
): Promise<{ document: Uint8Array; data: Uint8Array | undefined } | 'too-large' | 'no-file'> {
  const body = await readBody(req, MAX_UPLOAD_BYTES);
  if (body === undefined) return 'too-large';
  let form: FormData;
  try {
    form = await new Response(body.slice(), {
      headers: { 'Content-Type': req.headers['content-type'] ?? '' },
    }).formData();
  } catch {
    return 'no-file';
  }
  const document = form.get('document');
  const data = form.get('data');
  if (!(document instanceof Blob)) return 'no-file';
  return {
    document: new Uint8Array(await document.arrayBuffer()),
    data: data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : undefined,
  };
}

/** The logged-in doctor's holder ID (資格者ID), for a card login. */
function holderIdOf(user: PortalUser): string | undefined {
  if (user.method === 'hpki') return user.login.holder.id;
  return user.method === 'sso' ? claim(user.sso, 'hpki_holder_id') : undefined;
}

/** A handler for the referral and verify routes: true when it answered. */
export function createReferralRoutes(options: ReferralRoutesOptions) {
  const signing = createReferralSigning({ trust: options.trust });
  const checker = createDocumentChecker({
    trust: () => ({ ...options.trust(), allowedRoles: 'any' }),
  });
  const uploads = createRateLimiter(VERIFY_RATE);
  const maxUploadMiB = MAX_UPLOAD_BYTES / 1024 / 1024;

  async function verifyUpload({ req, res, lang, current }: ReferralRequest): Promise<void> {
    const page = (status: number, extra: Pick<Parameters<typeof verifyPage>[0], 'report' | 'error'>) =>
      html(res, status, verifyPage({ lang, user: current?.user, maxUploadMiB, ...extra }));
    if (!uploads.hit(options.clientOf(req)).allowed) return page(429, { error: UPLOAD_ERRORS.rate });
    const files = await uploadedFiles(req);
    if (files === 'too-large') {
      res.setHeader('Connection', 'close');
      return page(413, { error: UPLOAD_ERRORS['too-large'] });
    }
    if (files === 'no-file') return page(400, { error: UPLOAD_ERRORS['no-file'] });
    const outcome = await checker.check(files.document, files.data);
    if ('failure' in outcome)
      return page(outcome.failure === 'busy' ? 503 : 400, { error: UPLOAD_ERRORS[outcome.failure] });
    return page(200, { report: outcome.report });
  }

  /** The routes that need a card login; `current` is known and logged in with the card. */
  async function signingRoute(r: ReferralRequest, id: string, user: PortalUser): Promise<boolean> {
    const { req, res, lang } = r;
    switch (r.key) {
      case `GET ${REFERRAL_PATHS.page}`:
        html(res, 200, referralPage(user, lang), { 'Content-Security-Policy': REFERRAL_CSP });
        return true;
      case `GET ${REFERRAL_PATHS.letter}`: {
        const letter = signing.letter();
        if (letter === undefined) send(res, 404, 'text/plain; charset=utf-8', 'the sample letter is not installed\n');
        else
          send(res, 200, 'application/pdf', letter, {
            'Content-Disposition': 'inline; filename="referral-letter.pdf"',
          });
        return true;
      }
      case `GET ${REFERRAL_PATHS.result}`:
        html(res, 200, referralResultPage(user, lang, signing.signed(id)));
        return true;
      case `GET ${REFERRAL_PATHS.signed}`: {
        const signed = signing.signed(id);
        if (signed === undefined) redirect(res, REFERRAL_PATHS.result);
        else
          send(res, 200, 'application/pdf', signed.pdf, {
            'Content-Disposition': `attachment; filename="${REFERRAL_FILE_NAME}"`,
          });
        return true;
      }
    }
    if (!loggedInWithCard(user)) {
      sendJson(res, 403, errorBody('ERR_HPKI_INVALID_ARGUMENT', 'signing needs a login with the HPKI card'));
      return true;
    }
    const body = r.key.startsWith('POST ') ? await readJson(req) : undefined;
    if (body instanceof HpkiError) {
      sendError(res, body);
      return true;
    }
    try {
      if (r.key === `POST ${REFERRAL_PATHS.prepare}`) sendJson(res, 200, signing.prepare(id, body));
      else if (r.key === `POST ${REFERRAL_PATHS.finish}`)
        sendJson(res, 200, { report: (await signing.finish(id, body, holderIdOf(user))).report });
      else return false;
    } catch (err) {
      sendError(res, err);
    }
    return true;
  }

  const SIGNING_PATHS = new Set<string>(Object.values(REFERRAL_PATHS).filter((p) => p !== REFERRAL_PATHS.verify));

  return {
    /** Forgets a session's letters (logout). */
    forget: (sessionId: string) => signing.forget(sessionId),
    async handle(r: ReferralRequest): Promise<boolean> {
      const { res, key, lang, current } = r;
      if (key === `GET ${REFERRAL_SCRIPT_PATH}`) {
        send(res, 200, 'text/javascript; charset=utf-8', REFERRAL_SCRIPT);
        return true;
      }
      if (key === `GET ${CLIENT_LIBRARY_PATH}`) {
        const library = clientLibraryText();
        if (library === undefined) send(res, 404, 'text/plain; charset=utf-8', 'run npm run build first\n');
        else send(res, 200, 'text/javascript; charset=utf-8', library, { 'Cache-Control': 'public, max-age=3600' });
        return true;
      }
      if (key === `GET ${REFERRAL_PATHS.verify}`) {
        html(res, 200, verifyPage({ lang, user: current?.user, maxUploadMiB }));
        return true;
      }
      if (key === `POST ${REFERRAL_PATHS.verify}`) {
        await verifyUpload(r);
        return true;
      }
      const path = key.slice(key.indexOf(' ') + 1);
      if (!SIGNING_PATHS.has(path)) return false;
      if (current === undefined) {
        if (key.startsWith('GET ')) redirect(res, '/');
        else sendJson(res, 401, errorBody('ERR_HPKI_INVALID_ARGUMENT', 'not logged in'));
        return true;
      }
      return signingRoute(r, current.id, current.user);
    },
  };
}
