import type { HashAlgorithm } from '../../protocol/digest-info.js';
import type { SignatureReport } from '../../protocol/signature-report.js';
import type { SignatureVerifierOptions } from '../verify/index.js';

/**
 * The shape every document format of the server library shares (PROTOCOL.md §11, docs/signing.md):
 * the site gives the document and the signing certificate and gets the hash the card must sign
 * (`prepare…`), the page's `sign` signs it, and the site finishes the document with that signature
 * (`finish…`). Verification gives the report `verify-signature` prints.
 */

/** What the card must sign for one document, and what the site keeps until the signature comes back. */
export interface PendingSignature {
  hashAlgorithm: HashAlgorithm;
  /** The hash to pass to the page API's `sign` (as standard base64 there). */
  hash: Uint8Array;
  /** Everything finishing needs, as bytes a site can keep between two requests (its own session store). */
  state: Uint8Array;
}

/**
 * Asks a time-stamping authority (RFC 3161) for a token over `digest` (the hash of the signature
 * value, as each format defines it); resolves with the TimeStampToken (a DER ContentInfo).
 */
export type Timestamper = (hashAlgorithm: HashAlgorithm, digest: Uint8Array) => Promise<Uint8Array>;

export interface DocumentVerifyOptions extends SignatureVerifierOptions {
  /** DER anchors for timestamp authorities; without them, a TSA chain must end at one of `anchors`. */
  tsaAnchors?: readonly Uint8Array[];
  /** When certificates and CRLs are checked; default: a valid signature timestamp's time, else now. */
  at?: Date;
}

/** A document verifier of one format. */
export type DocumentVerifier = (document: Uint8Array, options: DocumentVerifyOptions) => Promise<SignatureReport>;
