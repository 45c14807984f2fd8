import type { PinSubmitOutcome } from '../shared/index.js';

/**
 * One PIN the window sent, on its way to the card. The flow takes the PIN once and replies once;
 * the first outcome (the flow's reply, a withdrawal when the card went away first, or the end of the
 * window) settles the window's request and forgets the PIN, and later ones are ignored.
 */

export interface PinSubmission {
  /** Returns the PIN once; later calls throw, so no second copy outlives the host request. */
  takePin(): string;
  reply(outcome: PinSubmitOutcome): void;
}

export interface HeldSubmission {
  readonly submission: PinSubmission;
  /** Whether the flow has it (else it came before the flow asked). */
  handedOver: boolean;
  settle(outcome: PinSubmitOutcome): void;
}

export function createPinSubmission(pin: string, onOutcome: (outcome: PinSubmitOutcome) => void): HeldSubmission {
  let held: string | undefined = pin;
  let settled = false;
  const settle = (outcome: PinSubmitOutcome): void => {
    held = undefined;
    if (settled) return;
    settled = true;
    onOutcome(outcome);
  };
  return {
    handedOver: false,
    settle,
    submission: {
      takePin() {
        if (held === undefined) throw new Error('PIN already taken');
        const value = held;
        held = undefined;
        return value;
      },
      reply: settle,
    },
  };
}
