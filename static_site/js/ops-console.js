/** What the ops console's two pages share: the words for audit actions and their subjects, an
 * audit entry as a table row, a link to a person's page, and a table cell that names its column
 * where rows stack on narrow screens. No page wiring here. */

import { element } from "./dom.js";
import { PAGES, pageUrl } from "./paths.js";
import { timeOf } from "./when.js";

/** The audit log's actions, as ops reads them (an unknown one shows as it was written). */
export const AUDIT_ACTIONS = Object.freeze({
  disqualify: "Disqualified",
  restore: "Restored",
  close_flag: "Closed a flag",
  approve_refund: "Approved a refund",
  deny_refund: "Declined a refund",
  "moderation.hide": "Hid",
  "moderation.keep": "Kept",
});

const SUBJECT_KINDS = Object.freeze({
  user: "Person", review: "Review", post: "Post", product: "Product", event: "Event", refund: "Refund",
  flag: "Flag",
});

/** The page of a person in the console. */
export function personUrl(userId) {
  return pageUrl(PAGES.opsPerson, { id: userId });
}

/** A table cell; `label` names its column where rows stack on narrow screens. */
export function cell(label, content, attributes = {}) {
  const parts = (Array.isArray(content) ? content : [content]).filter((part) => part !== null && part !== undefined);
  return element("td", { role: "cell", "data-label": label, ...attributes },
    element("div", { class: "cell-value" }, ...parts));
}

/** A person named by username (a link to their console page), or by id when unknown. */
export function personLink(userId, people = {}, fallback = "—") {
  if (!userId) {
    return fallback;
  }
  const known = people[userId];
  const label = known && known.username ? `@${known.username}` : userId;
  return element("a", { href: personUrl(userId), class: known ? "" : "ops-id" }, label);
}

/** "Person · @ada" (linked) for a person, "Review · abc123" for anything else. */
function subjectOf(subject, people) {
  const text = typeof subject === "string" ? subject : "";
  const at = text.indexOf(":");
  const kind = at > 0 ? text.slice(0, at) : "";
  const id = at > 0 ? text.slice(at + 1) : text;
  const name = SUBJECT_KINDS[kind] || kind || "Thing";
  const what = kind === "user" ? personLink(id, people) : element("code", { class: "ops-id" }, id || "—");
  return [element("span", { class: "console-kind" }, name), " ", what];
}

/** An audit entry as a row: when, who (the ops person), the action, what it was about, and why. */
export function auditRow(entry, people = {}) {
  const who = entry.ops_username
    ? personLink(entry.ops_id, { [entry.ops_id]: { username: entry.ops_username } })
    : personLink(entry.ops_id, people);
  return element("tr", { role: "row", "data-testid": "audit-entry", "data-entry-id": entry.id },
    cell("When", timeOf(entry.at)),
    cell("Who", who),
    cell("Action", element("strong", {}, AUDIT_ACTIONS[entry.action] || entry.action || "—")),
    cell("About", subjectOf(entry.subject, people)),
    cell("Why", element("span", { class: "console-reason" }, entry.reason || "—")));
}

/** "3" or "100+" for a count the server stopped at. */
export function countLabel(count, more = false) {
  if (count === null || count === undefined) {
    return "—";
  }
  return more ? `${count}+` : String(count);
}

export function plural(count, word, words = `${word}s`) {
  return `${count} ${count === 1 ? word : words}`;
}
