/** The summary both sides see after a call: how long it lasted, the terms agreed, what was paid
 * and tipped and, for the Helper, their share after the fees. The money comes from the server
 * (the caller's `GET /payments`, the Helper's `GET /me/earnings` ledger lines of this call);
 * when that cannot be read, from what the room itself saw. */

import { api } from "../api.js";
import { formatCents } from "../money.js";
import { termsText } from "./negotiation.js";

const HISTORY_LINES = 100;

/** "12 min 5 s", "1 h 2 min", "40 s". */
export function lengthText(milliseconds) {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours) {
    return `${hours} h ${minutes} min`;
  }
  return minutes ? `${minutes} min ${rest} s` : `${rest} s`;
}

/** The caller's captured payments for `callId`: `{paidCents, tipCents}`. */
async function callerMoney(callId) {
  const { payments } = await api.myPayments();
  const ours = (payments || []).filter((p) => p.call_id === callId && p.captured_at);
  const sum = (list) => list.reduce((total, p) => total + Number(p.amount_cents || 0), 0);
  return {
    paidCents: sum(ours.filter((p) => p.kind !== "tip")),
    tipCents: sum(ours.filter((p) => p.kind === "tip")),
  };
}

/** The Helper's ledger captures for `callId`: `{paidCents, tipCents, feeCents, shareCents}`. */
async function helperMoney(callId) {
  const { history } = await api.myEarnings({ limit: HISTORY_LINES });
  const ours = (history || []).filter((line) => line.call_id === callId && line.kind === "capture");
  const sum = (list, field) => list.reduce((total, line) => total + Number(line[field] || 0), 0);
  const tips = ours.filter((line) => line.payment_kind === "tip");
  return {
    paidCents: sum(ours.filter((line) => line.payment_kind !== "tip"), "gross_cents"),
    tipCents: sum(tips, "gross_cents"),
    feeCents: sum(ours, "fees_cents"),
    shareCents: sum(ours, "amount_cents"),
    recorded: ours.length > 0,
  };
}

/**
 * The summary's lines, `[{label, value, total?}]`, and a note.
 * @param {object} facts `{role, callId, call, rounds: [terms], tipCents, liveMs}`: what the room
 *   saw (the terms of each session or extension that started, the tips that went through, how
 *   long the call was live)
 */
export async function callSummary({ role, callId, call, rounds, tipCents, liveMs }) {
  const terms = rounds.length ? rounds : (call.agreed ? [call.agreed] : []);
  const seenPaid = terms.reduce((total, t) => total + Number(t.price_cents || 0), 0);
  let money = { paidCents: seenPaid, tipCents, feeCents: null, shareCents: null, recorded: false };
  let note = "";
  try {
    money = { ...money, ...(role === "helper" ? await helperMoney(callId) : await callerMoney(callId)) };
  } catch {
    note = "The amounts are what this page saw; the Payments page has the receipts.";
  }
  const rows = [{ label: "Length", value: lengthText(liveMs) }];
  if (Number(call.minutes_used) > 0) {
    rows.push({ label: "Session booked", value: `${call.minutes_used} min` });
  }
  rows.push({
    label: terms.length > 1 ? "Terms (with extensions)" : "Terms",
    value: terms.length ? terms.map(termsText).join("; ") : "None agreed",
  });
  const paid = money.paidCents > 0 || money.tipCents > 0;
  if (role === "helper") {
    rows.push({ label: "Paid by the caller", value: money.paidCents ? formatCents(money.paidCents, { cents: true }) : "Nothing" });
    if (money.tipCents) {
      rows.push({ label: "Tips", value: formatCents(money.tipCents, { cents: true }) });
    }
    if (paid && money.recorded) {
      rows.push({ label: "Fees (platform and PayPal)", value: `−\u00a0${formatCents(money.feeCents, { cents: true })}` });
      rows.push({ label: "Your share", value: formatCents(money.shareCents, { cents: true }), total: true });
    } else if (paid && !note) {
      note = "Your share after fees shows on your Earnings page once PayPal's capture is recorded.";
    }
  } else {
    rows.push({ label: "You paid", value: money.paidCents ? formatCents(money.paidCents, { cents: true }) : "Nothing" });
    if (money.tipCents) {
      rows.push({ label: "Tips", value: formatCents(money.tipCents, { cents: true }) });
      rows.push({
        label: "Total", value: formatCents(money.paidCents + money.tipCents, { cents: true }), total: true,
      });
    }
  }
  return { rows, note, paid };
}
