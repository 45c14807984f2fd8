/** Sizes of the base64 values a XAdES signature holds, as the reader and the builder bound them. */

/** One certificate (HPKI certificates are 1–2 KB). */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;
/** A signature value: RSA up to 4096 bits. */
export const MAX_SIGNATURE_BYTES = 512;
/** A digest value: SHA-512 at most. */
export const MAX_DIGEST_BYTES = 64;
