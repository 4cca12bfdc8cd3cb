/** A Helper's polls where people see them: on the Helper's page (`mountPolls`, the latest ones)
 * and placed in a post (`mountPoll`, one by its id: `<div class="poll-slot" data-poll="<id>">`).
 *
 * A poll is a card: the question, one button per option, and the results as bars once the
 * viewer may see them (the Helper chose: live, after voting, or after closing). A signed-in
 * visitor votes with one tap and may change their vote until it closes; a visitor signs in
 * first and comes back. The counts move live: a signed-in tab watches each poll on its socket
 * (`watch_poll`, docs/websocket.md#polls; again on every new connection and after voting) and
 * is sent the counts at most once a second; a signed-out tab, which has no socket, reads them
 * again every 15 seconds while it is visible. */

import { api } from "./api.js";
import { element, loadStylesheet } from "./dom.js";
import { leaveIfSignedOut, signInUrl } from "./paths.js";
import { realtime } from "./realtime.js";
import { currentUserId, loadSession } from "./session.js";
import { formatWhen } from "./when.js";

const STYLESHEET = "/css/polls.css";
const SHOWN_ON_PAGE = 3;
const SIGNED_OUT_REFRESH_MS = 15_000;
const RESULTS_LATER = {
  after_voting: "Results show once you vote.",
  after_closing: "Results show when the poll closes.",
};

/** The latest polls of `username` into `section` (shown only when there are some). */
export async function mountPolls(section, { username, helperId }) {
  const list = section.querySelector("[data-poll-list]") || section;
  let polls;
  try {
    polls = (await api.helperPolls(username)).polls || [];
  } catch {
    return; // the page stands without its polls
  }
  if (!polls.length) {
    return;
  }
  await loadStylesheet(STYLESHEET);
  list.replaceChildren();
  section.hidden = false;
  for (const poll of polls.slice(0, SHOWN_ON_PAGE)) {
    const slot = element("div", { class: "poll-slot" });
    list.append(slot);
    mountPoll(slot, { username, poll, helperId });
  }
}

/** One poll into `slot`: `poll` as the list gave it, or read by `pollId`. */
export async function mountPoll(slot, { username, pollId = null, poll = null, helperId = null }) {
  let shown = poll;
  if (!shown) {
    try {
      shown = (await api.helperPoll(username, pollId)).poll;
    } catch {
      shown = null;
    }
    if (!shown) {
      slot.replaceChildren(element("p", { class: "poll-missing" }, "This poll is no longer available."));
      return null;
    }
  }
  await loadStylesheet(STYLESHEET);
  const card = new PollCard(slot, { username, poll: shown, own: Boolean(helperId) && helperId === currentUserId() });
  card.start();
  return card;
}

class PollCard {
  constructor(slot, { username, poll, own }) {
    this.slot = slot;
    this.username = username;
    this.poll = poll;
    this.own = own;
    this.signedIn = Boolean(loadSession());
    this.busy = false;
    this.stops = [];
    const titleId = `poll-${poll.poll_id}`;
    this.question = element("h3", { class: "poll-question", id: titleId });
    this.meta = element("p", { class: "poll-meta", "aria-live": "polite" });
    this.options = element("ul", { class: "poll-options", role: "list" });
    this.note = element("p", { class: "poll-note" });
    this.problem = element("p", { class: "poll-problem", role: "alert", hidden: "" });
    this.card = element("article", { class: "poll-card", "aria-labelledby": titleId, "data-poll-card": poll.poll_id },
      element("p", { class: "poll-eyebrow" }, "Poll"), this.question, this.options, this.meta, this.note,
      this.problem);
    slot.replaceChildren(this.card);
    this.render();
  }

  async start() {
    if (!this.signedIn) {
      if (this.poll.open && this.poll.results === "live") {
        this.refreshWhileVisible();
      }
      return;
    }
    try {
      this.merge((await api.myPollView(this.username, this.poll.poll_id)).poll);
    } catch (error) {
      if (leaveIfSignedOut(error)) {
        return;
      }
    }
    this.watchLive();
  }

  /** Watches the poll on this tab's socket now and on every new connection. */
  watchLive() {
    const client = realtime();
    if (!client.available) {
      return;
    }
    const watch = () => client.request("watch_poll", { helper: this.username, poll_id: this.poll.poll_id })
      .then((ack) => ack && ack.poll && this.merge(ack.poll))
      .catch(() => {}); // no socket now: the next `open` watches again
    this.stops.push(client.on("open", watch));
    this.stops.push(client.on("poll", (message) => {
      if (message.poll && message.poll.poll_id === this.poll.poll_id) {
        this.merge(message.poll);
      }
    }));
    this.watch = watch;
    watch();
  }

  refreshWhileVisible() {
    const timer = window.setInterval(async () => {
      if (document.visibilityState !== "visible") {
        return;
      }
      try {
        this.merge((await api.helperPoll(this.username, this.poll.poll_id)).poll);
      } catch {
        // the next round tries again
      }
      if (!this.poll.open) {
        window.clearInterval(timer);
      }
    }, SIGNED_OUT_REFRESH_MS);
  }

  /** Takes newer facts about the poll (a view, or a live `poll` message without `my_vote`). */
  merge(update) {
    const myVote = "my_vote" in update ? update.my_vote : this.poll.my_vote;
    this.poll = { ...this.poll, ...update, my_vote: myVote };
    this.render();
  }

  visible() {
    return typeof this.poll.total === "number";
  }

  render() {
    const { poll } = this;
    this.question.textContent = poll.question;
    const canVote = poll.open && !this.own;
    const rows = poll.options.map((option, index) => this.optionRow(option, index, canVote));
    this.options.replaceChildren(...rows);
    this.card.classList.toggle("poll-card-closed", !poll.open);
    this.card.classList.toggle("poll-card-results", this.visible());
    const parts = [];
    if (this.visible()) {
      parts.push(`${poll.total.toLocaleString()} ${poll.total === 1 ? "vote" : "votes"}`);
    }
    if (!poll.open) {
      parts.push("Closed");
    } else if (poll.closes_at) {
      parts.push(`Closes ${formatWhen(poll.closes_at)}`);
    }
    this.meta.textContent = parts.join(" · ");
    this.note.textContent = this.noteText();
    this.note.hidden = !this.note.textContent;
  }

  noteText() {
    const { poll } = this;
    if (!poll.open) {
      return "";
    }
    if (this.own) {
      return "Your poll: your visitors vote in it.";
    }
    if (!this.signedIn) {
      return "Sign in to vote.";
    }
    if (!this.visible()) {
      return RESULTS_LATER[poll.results] || "";
    }
    return poll.my_vote === null || poll.my_vote === undefined ? "" : "You can change your vote until it closes.";
  }

  optionRow(option, index, canVote) {
    const { poll } = this;
    const mine = poll.my_vote === index;
    const share = this.visible() && poll.total > 0 ? Math.round((100 * option.votes) / poll.total) : 0;
    const label = element("span", { class: "poll-option-label" }, option.label);
    const figures = this.visible()
      ? element("span", { class: "poll-option-figures" }, `${share}%`,
        element("span", { class: "visually-hidden" }, ` (${option.votes.toLocaleString()} votes)`))
      : null;
    const bar = element("span", { class: "poll-bar", "aria-hidden": "true" });
    bar.style.setProperty("--share", String(share / 100)); // CSSOM: allowed by the CSP, unlike a style attribute
    const inner = [bar, mine ? element("span", { class: "poll-mine", "aria-hidden": "true" }) : null, label, figures]
      .filter(Boolean);
    let control;
    if (canVote) {
      control = element("button", {
        type: "button", class: "poll-option", "aria-pressed": String(mine), "data-poll-option": String(index),
      }, ...inner);
      control.addEventListener("click", () => this.vote(index));
    } else {
      control = element("div", { class: "poll-option poll-option-static" }, ...inner);
      if (mine) {
        control.append(element("span", { class: "visually-hidden" }, " (your vote)"));
      }
    }
    return element("li", {}, control);
  }

  async vote(index) {
    if (!this.signedIn) {
      window.location.assign(signInUrl());
      return;
    }
    if (this.busy || this.poll.my_vote === index) {
      return;
    }
    this.busy = true;
    this.problem.hidden = true;
    try {
      this.merge((await api.votePoll(this.username, this.poll.poll_id, index)).poll);
      if (this.watch) {
        this.watch(); // the results may be mine to see now: watch again so they come live
      }
    } catch (error) {
      if (leaveIfSignedOut(error)) {
        return;
      }
      this.problem.textContent = (error && error.message) || "Your vote did not go through. Try again.";
      this.problem.hidden = false;
      if (error && error.code === "poll_closed") {
        this.merge({ open: false });
      }
    } finally {
      this.busy = false;
    }
  }
}
