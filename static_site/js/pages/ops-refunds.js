/** Ops: the refund queue (`/ops-refunds.html`), nearest deadline first. Each request shows the
 * amounts, the customer's reason, the Helper's statement and the review deadline (overdue ones
 * stand out); ops approves or denies it with a note. The server decides who may see and do this
 * (403 for everyone outside the ops group); the page only says so. */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { clearErrors, setBusy, showError, showFieldError } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { showQueueFailure } from "../load-failure.js";
import { formatCents } from "../money.js";
import { personUrl } from "../ops-console.js";
import { REFUND_STATES, stateBadge } from "../payment-labels.js";
import { signInUrl } from "../paths.js";
import { nowSeconds, timeOf } from "../when.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const statusLine = document.querySelector("[data-ops-status]");
const failureSlot = document.querySelector("[data-ops-failure]");
const forbidden = document.querySelector("[data-ops-forbidden]");
const queue = document.querySelector("[data-ops-queue]");
const empty = document.querySelector("[data-ops-empty]");

const money = (cents) => formatCents(cents, { cents: true });
let uid = 0;

function fact(label, ...value) {
  return element("div", {}, element("dt", {}, label), element("dd", {}, ...value));
}

function decisionForm(request, item) {
  uid += 1;
  const id = `note-${uid}`;
  const note = element("textarea", {
    id, name: "note", rows: "3", maxlength: "2000", required: "", "aria-describedby": `${id}-hint ${id}-error`,
  });
  const approve = element("button", {
    type: "submit", class: "button button-success", value: "approve", "data-decision": "approve",
  }, `Approve refund of ${money(request.refund_cents)}`);
  const deny = element("button", {
    type: "submit", class: "button button-danger", value: "deny", "data-decision": "deny",
  }, "Deny");
  const form = element("form", { class: "form form-compact decision-form", novalidate: "" },
    element("div", { class: "form-alert", role: "alert", "data-form-alert": "" }),
    element("div", { class: "field" },
      element("label", { for: id }, "Note (required)"),
      note,
      element("p", { class: "field-hint", id: `${id}-hint` }, "Why you decided so. The customer and the Helper both receive it."),
      element("p", { class: "field-error", id: `${id}-error`, "data-error-for": "note" })),
    element("div", { class: "button-row" }, approve, deny));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const decision = event.submitter && event.submitter.value;
    if (decision !== "approve" && decision !== "deny") {
      return;
    }
    if (!note.value.trim()) {
      showFieldError(form, "note", "Write a note: both the customer and the Helper receive it.");
      return;
    }
    approve.disabled = true;
    deny.disabled = true;
    form.setAttribute("aria-busy", "true");
    event.submitter.textContent = decision === "approve" ? "Refunding…" : "Denying…";
    try {
      const decided = await api.decideRefund(request.request_id, { decision, note: note.value.trim() });
      item.replaceWith(requestItem(decided));
      const replaced = queue.querySelector(`[data-request-id="${CSS.escape(request.request_id)}"] [data-decided]`);
      if (replaced) {
        replaced.setAttribute("tabindex", "-1");
        replaced.focus();
      }
    } catch (error) {
      approve.textContent = `Approve refund of ${money(request.refund_cents)}`;
      deny.textContent = "Deny";
      approve.disabled = false;
      deny.disabled = false;
      setBusy(form, false);
      showError(form, error);
      if (error && error.code === "refund_already_decided") {
        approve.disabled = true;
        deny.disabled = true;
      }
    }
  });
  return form;
}

/** A person's id, linked to their history in the ops console. */
function personOf(userId) {
  return userId ? element("a", { href: personUrl(userId) }, element("code", {}, userId)) : "—";
}

function requestItem(request) {
  const open = request.state === "open";
  const overdue = open && Number(request.deadline) < nowSeconds();
  const item = element("li", {
    class: `money-item ops-request${overdue ? " is-overdue" : ""}`,
    "data-testid": "ops-request", "data-request-id": request.request_id,
  });
  const badges = [stateBadge(REFUND_STATES, request.state)];
  if (overdue) {
    badges.push(element("span", { class: "badge badge-overdue", "data-overdue": "" }, "Overdue"));
  }
  item.append(
    element("div", { class: "money-item-head" },
      element("h2", { class: "money-item-title" }, `Refund of ${money(request.refund_cents)}`,
        element("span", { class: "money-muted" }, ` of ${money(request.paid_cents)} paid`)),
      element("span", { class: "badges" }, ...badges)),
    element("dl", { class: "ops-facts" },
      fact("Asked", timeOf(request.requested_at)),
      fact(open ? "Decide by" : "Deadline was", timeOf(request.deadline)),
      ...(request.decided_at ? [fact("Decided", timeOf(request.decided_at))] : []),
      fact("Payment", element("code", {}, request.payment_id)),
      fact("Customer", personOf(request.payer_id)),
      fact("Helper", personOf(request.helper_id))),
    element("p", { class: "money-quote" }, element("span", { class: "money-label" }, "Customer's reason: "),
      request.reason),
    element("p", { class: `money-quote${request.statement ? "" : " money-muted"}`, "data-statement": "" },
      element("span", { class: "money-label" }, "Helper's statement: "),
      request.statement || "No statement from the Helper yet."));
  if (open) {
    item.append(decisionForm(request, item));
  } else {
    const outcome = request.state === "refunded"
      ? `Approved: ${money(request.refund_cents)} refunded through PayPal.`
      : request.state === "denied" ? "Denied." : `${REFUND_STATES[request.state] || request.state}.`;
    item.append(element("p", { class: "notice notice-success", role: "status", "data-decided": "" }, outcome),
      ...(request.note ? [element("p", { class: "money-quote" },
        element("span", { class: "money-label" }, "Note: "), request.note)] : []));
  }
  return item;
}

async function load() {
  failureSlot.replaceChildren();
  statusLine.textContent = "Loading the queue…";
  try {
    const { requests = [] } = await api.refundQueue();
    queue.replaceChildren(...requests.map(requestItem));
    empty.hidden = requests.length > 0;
    const late = requests.filter((r) => r.state === "open" && Number(r.deadline) < nowSeconds()).length;
    statusLine.textContent = requests.length
      ? `${requests.length} open request${requests.length === 1 ? "" : "s"}${late ? `, ${late} overdue` : ""}.`
      : "";
  } catch (error) {
    statusLine.textContent = "";
    showQueueFailure(error, { forbidden, slot: failureSlot, retry: load });
  }
}

load();
