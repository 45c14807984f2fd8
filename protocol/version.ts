/** The protocol version of PROTOCOL.md, in its own module so the host can say hello before loading anything else. */
export const PROTOCOL_VERSION = 1;
