/**
 * Time limits that more than one part relies on, each in milliseconds. A part that waits for another
 * takes its limit from here, so the two sides cannot drift apart.
 */

/** The page library waits this long for the content script's ack (PROTOCOL.md §1.2: "within 1 s"). */
export const PAGE_ACK_TIMEOUT_MS = 1_000;
/**
 * While a card flow is pending, the content script repeats its ack this often, and the page library
 * waits for the result a while after the last ack (its user timeout and a grace), not after the
 * first: the PIN window gives the doctor the whole timeout again after the card goes in and after
 * each wrong PIN, so no fixed time from the start bounds a flow that is still alive.
 */
export const PAGE_REACK_INTERVAL_MS = 20_000;

/** How long the doctor has for the PIN window when the page does not say (`options.timeoutMs`). */
export const DEFAULT_USER_TIMEOUT_MS = 120_000;
/** The page's own bounds for `options.timeoutMs`. */
export const MIN_USER_TIMEOUT_MS = 10_000;
export const MAX_USER_TIMEOUT_MS = 600_000;

/** The extension gives up on a native host that sends no hello within this. */
export const HOST_HELLO_TIMEOUT_MS = 5_000;
/** The extension gives up on one host command (card I/O included) after this. */
export const HOST_COMMAND_TIMEOUT_MS = 60_000;

/** A site's challenge lives at most this long (PROTOCOL.md §1.1: "≤ 5 minutes"). */
export const MAX_CHALLENGE_TTL_MS = 5 * 60_000;
