/**
 * The HPKI card's identifiers (HPKI-CARD.md §1–§3, JAHIS HPKI IC card guideline): application IDs, file
 * IDs, the PIN reference and the bounds the driver keeps. The virtual card keeps its own copy on
 * purpose, as an independent oracle; a test checks that the two agree.
 */

/** Registered application provider ID of the HPKI applications. */
export const HPKI_RID = Uint8Array.of(0xe8, 0x28, 0xbd, 0x08, 0x0f);
/** The signing AP (qualified signatures; not used for login). */
export const HPKI_SIGN_AID = Uint8Array.of(0xe8, 0x28, 0xbd, 0x08, 0x0f, 0xa0, 0, 0, 0x03, 0x91, 0, 0, 0, 0, 0, 0x01);
/** The authentication AP: its key signs logins. */
export const HPKI_AUTH_AID = Uint8Array.of(0xe8, 0x28, 0xbd, 0x08, 0x0f, 0xa0, 0, 0, 0x03, 0x91, 0, 0, 0, 0, 0, 0x02);
/** My Number card (JPKI) AP: not an HPKI card, recognised to say so. */
export const JPKI_AID = Uint8Array.of(0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01);

/** Inside an AP: the end-entity certificate, the private key, the PKCS#15 certificate directory. */
export const FID_CERTIFICATE = 0x0016;
export const FID_PRIVATE_KEY = 0x000c;
export const FID_CDF = 0x0004;
/** VERIFY reference of each AP's PIN. */
export const PIN_REFERENCE = 0x88;
export const MAX_PIN_RETRIES = 15;
/** The largest file the driver reads: certificates are 1–2 kB; this bounds a hostile card. */
export const MAX_FILE_LENGTH = 8 * 1024;
/** The longest certificate directory (CDF) the driver reads. */
export const MAX_CDF_LENGTH = 1024;
/** READ BINARY block size that every card supports (short Le = 00). */
export const READ_BLOCK = 256;
