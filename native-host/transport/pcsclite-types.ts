/**
 * The part of the `pcsclite` addon this project uses, typed without `any` (its bundled typings use
 * `any` for errors). Loaded lazily so that a host without PC/SC still starts and can say why.
 */

export interface PcscReader {
  name: string;
  SCARD_SHARE_EXCLUSIVE: number;
  SCARD_SHARE_SHARED: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_STATE_PRESENT: number;
  SCARD_STATE_MUTE: number;
  SCARD_LEAVE_CARD: number;
  SCARD_RESET_CARD: number;
  connected: boolean;
  on(type: 'status', listener: (status: { state: number; atr?: Buffer }) => void): this;
  on(type: 'error', listener: (error: Error) => void): this;
  on(type: 'end', listener: () => void): this;
  once(type: 'status', listener: (status: { state: number; atr?: Buffer }) => void): this;
  removeAllListeners(type?: string): this;
  connect(
    options: { share_mode?: number; protocol?: number },
    cb: (err: Error | null | undefined, protocol: number) => void,
  ): void;
  disconnect(disposition: number, cb: (err: Error | null | undefined) => void): void;
  transmit(
    data: Buffer,
    resLen: number,
    protocol: number,
    cb: (err: Error | null | undefined, response: Buffer) => void,
  ): void;
  close(): void;
}

export interface PcscContext {
  on(type: 'reader', listener: (reader: PcscReader) => void): this;
  on(type: 'error', listener: (error: Error) => void): this;
  removeAllListeners(type?: string): this;
  close(): void;
  /** Internal: the start callback receives the reader list; used to learn when the first list arrived. */
  readers: Record<string, PcscReader>;
}

export type PcscFactory = () => PcscContext;
