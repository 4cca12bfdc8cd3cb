/** The words for payment and refund states and kinds, shared by the Payments and ops pages. */

import { element } from "./dom.js";

export const PAYMENT_STATES = Object.freeze({
  created: "Waiting for approval",
  captured: "Paid",
  cancelled: "Cancelled",
  declined: "Declined",
  voided: "Not charged",
  refunded: "Refunded",
  reversed: "Reversed",
});

export const REFUND_STATES = Object.freeze({
  open: "Under review",
  approved: "Approved",
  denied: "Declined",
  refunded: "Refunded",
  failed: "Refund failed",
});

export const PAYMENT_KINDS = Object.freeze({
  session: "Session", extension: "Extension", tip: "Tip", plan: "Plan", merchandise: "Store order",
  appointment: "Appointment",
});

/** A state as a coloured badge (its `data-state` is the server's word). */
export function stateBadge(labels, state) {
  return element("span", { class: `badge state-badge state-${state}`, "data-state": state },
    labels[state] || state);
}

export const PAYOUT_STATES = Object.freeze({
  reserved: "On its way",
  paid: "Paid",
  returned: "Returned",
});

/** A payout run's state, as ops reads it. */
export const PAYOUT_RUN_STATES = Object.freeze({
  collecting: "Collecting",
  sending: "Sending",
  sent: "Sent to PayPal",
  done: "Done",
});

/** Why ops flagged a Helper (the flag's `reason`). */
export const FLAG_REASONS = Object.freeze({
  free_sessions: "Many free sessions",
  helper_no_show: "Missed a booked session",
});
