/** The events' pages, rendered by the server (chalicelib/api/events_html.py): a Helper's events
 * (`/h/<username>/events`) and an event page (`/h/<username>/events/<event_id>`). Header and
 * footer everywhere; each time shown on the Helper's clock gets the visitor's own beside it when
 * their zone differs ([data-local-time] with data-at, data-end, data-zone); on an event page,
 * registration ([data-register]): RSVP (free), Buy ticket (paid: PayPal's approval page, which
 * returns to /pay-return.html and back here), Join the waitlist when full, Leave, the waitlist
 * position, and the online link once the person is going. A visitor signs in first and comes
 * back here.
 *
 * Markup it reads: `[data-event]` with data-event-id, data-helper-id, data-paid, data-price,
 * data-state (open, over, cancelled), data-online; `[data-rsvp]`, `[data-register-status]`,
 * `[data-register-note]`, `[data-register-actions]`, `[data-register-error]`, `[data-join-link]`,
 * `[data-join-note]`, `[data-places]`, `[data-report]` (the Report form, js/reports.js). */

import { api } from "../api.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { signInUrl } from "../paths.js";
import { currentUserId, loadSession } from "../session.js";

mountHeader();
mountFooter();

const VIEWER_ZONE = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
})();
const RETURN_KEY = "ik.event-return"; // where pay-return.html sends the buyer back to
const SAFE_JOIN = /^https:\/\/[^\s"<>]+$/;
const RECHECK_MS = 20_000; // how often a person waiting sees whether they moved up

/** "Your time: Tue 9 Dec, 12:00 – 14:00 (New York)" beside the Helper's, when the zones differ. */
function showLocalTimes(root) {
  for (const node of root.querySelectorAll("[data-local-time][data-at][data-zone]")) {
    const start = Number(node.getAttribute("data-at"));
    const end = Number(node.getAttribute("data-end"));
    const helperZone = node.getAttribute("data-zone");
    if (!Number.isFinite(start) || helperZone === VIEWER_ZONE || sameOffset(start, helperZone)) {
      continue;
    }
    const day = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
    const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
    const from = new Date(start * 1000);
    let text = `Your time: ${day.format(from)}, ${time.format(from)}`;
    if (Number.isFinite(end) && end > start) {
      text += ` – ${time.format(new Date(end * 1000))}`;
    }
    node.textContent = `${text} (${VIEWER_ZONE.replaceAll("_", " ")})`;
    node.hidden = false;
    node.classList.remove("is-pending");
  }
}

function sameOffset(seconds, zone) {
  try {
    const at = new Date(seconds * 1000);
    const format = (timeZone) => new Intl.DateTimeFormat("en-US", {
      timeZone, hour: "2-digit", minute: "2-digit", day: "2-digit", hourCycle: "h23",
    }).format(at);
    return format(zone) === format(VIEWER_ZONE);
  } catch {
    return false;
  }
}

class Registration {
  constructor(root) {
    this.root = root;
    this.eventId = root.getAttribute("data-event-id");
    this.helperId = root.getAttribute("data-helper-id");
    this.paid = root.getAttribute("data-paid") === "true";
    this.price = root.getAttribute("data-price") || "";
    this.open = root.getAttribute("data-state") === "open";
    this.box = root.querySelector("[data-register]");
    this.status = root.querySelector("[data-register-status]");
    this.note = root.querySelector("[data-register-note]");
    this.actions = root.querySelector("[data-register-actions]");
    this.error = root.querySelector("[data-register-error]");
    this.joinLink = root.querySelector("[data-join-link]");
    this.joinNote = root.querySelector("[data-join-note]");
  }

  async start() {
    if (!this.open || !this.actions) {
      return;
    }
    if (!loadSession()) {
      this.draw(null);
      return;
    }
    if (currentUserId() === this.helperId) {
      this.drawOwner();
      return;
    }
    await this.refresh();
  }

  async refresh() {
    try {
      this.draw(await api.myEventPlace(this.eventId));
    } catch (error) {
      this.fail(error);
    }
  }

  /** While the person waits (or a place is held for them), their place is read again now and
   * then in a visible tab, so moving up shows without a reload. */
  watch(place) {
    window.clearTimeout(this.timer);
    if (place !== "waiting" && place !== "offered") {
      return;
    }
    this.timer = window.setTimeout(() => {
      if (document.visibilityState === "visible") {
        this.refresh();
      } else {
        document.addEventListener("visibilitychange", () => this.refresh(), { once: true });
      }
    }, RECHECK_MS);
  }

  button(label, { primary = false, testId, onClick }) {
    const button = element("button", {
      type: "button", class: `button ${primary ? "button-primary button-large" : "button-secondary"}`,
      "data-testid": testId,
    }, label);
    button.addEventListener("click", async () => {
      for (const other of this.actions.querySelectorAll("button")) {
        other.disabled = true;
      }
      this.error.hidden = true;
      try {
        await onClick();
      } catch (error) {
        this.fail(error);
        for (const other of this.actions.querySelectorAll("button")) {
          other.disabled = false;
        }
      }
    });
    return button;
  }

  drawOwner() {
    this.note.hidden = false;
    this.note.textContent = "This is your event.";
    this.actions.replaceChildren(element("a", { class: "button button-secondary", href: "/my-events.html" },
      "Manage your events"));
  }

  /** What the person sees: `found` is `GET /events/{id}/me` (null: signed out). */
  draw(found) {
    const place = found && found.place ? found.place.place : null;
    const event = found ? found.event : null;
    this.box.setAttribute("data-place", place || "none");
    this.watch(place);
    if (event) {
      this.drawPlaces(event);
    }
    this.note.hidden = true;
    this.showJoin(place === "going" && event ? event.location : null);
    if (found && found.owner) {
      this.drawOwner();
      return;
    }
    if (place === "going") {
      this.say(element("span", { class: "event-badge-going", "data-testid": "event-going" }, "You're going"),
        "The invitation is in your email. Can't make it? Give your place to the next person waiting.");
      this.actions.replaceChildren(this.button("Leave", {
        testId: "event-leave", onClick: () => (this.paid ? this.confirmLeaving() : this.leave()),
      }));
      return;
    }
    if (place === "waiting") {
      const position = found.waitlist_position;
      this.say(element("strong", { "data-testid": "event-waiting" },
        position ? `You're #${position} on the waitlist` : "You're on the waitlist"),
      "If a place frees, it's yours at once" + (this.paid ? " (held for you to pay)." : "; we'll email you."));
      this.actions.replaceChildren(this.button("Leave the waitlist", {
        testId: "event-leave", onClick: () => this.leave(),
      }));
      return;
    }
    if (place === "offered") {
      const until = found.place.hold_until ? new Date(found.place.hold_until) : null;
      this.say(element("strong", { "data-testid": "event-offered" }, "A place is held for you"),
        until ? `Pay before ${until.toLocaleString()} or it goes to the next person.` : "");
      this.actions.replaceChildren(
        this.button(`Buy ticket · ${this.price}`, { primary: true, testId: "event-rsvp", onClick: () => this.rsvp() }),
        this.button("Give up the place", { testId: "event-leave", onClick: () => this.leave() }));
      return;
    }
    const full = event ? event.places_left === 0 : this.root.querySelector("[data-places]")?.textContent
      .startsWith("Full");
    const label = full ? "Join the waitlist" : this.paid ? `Buy ticket · ${this.price}` : "RSVP";
    this.actions.replaceChildren(this.button(label, {
      primary: true, testId: "event-rsvp",
      onClick: () => (found ? this.rsvp() : Promise.resolve(window.location.assign(signInUrl()))),
    }));
    if (place === "left") {
      this.note.hidden = false;
      this.note.textContent = "You left this event. You can RSVP again.";
    }
  }

  drawPlaces(event) {
    const places = this.root.querySelector("[data-places]");
    if (places) {
      const waiting = event.waiting ? ` · ${event.waiting} waiting` : "";
      places.textContent = event.places_left === 0
        ? `Full${waiting} — join the waitlist and you move up if a place frees.`
        : `${event.places_left} of ${event.capacity} places left`;
    }
  }

  say(heading, text) {
    this.note.hidden = false;
    this.note.replaceChildren(heading, text ? element("br") : "", text || "");
  }

  showJoin(link) {
    if (!this.joinLink) {
      return;
    }
    const safe = typeof link === "string" && SAFE_JOIN.test(link);
    this.joinLink.hidden = !safe;
    this.joinLink.setAttribute("data-testid", "event-join-link");
    if (safe) {
      this.joinLink.href = link;
      this.joinLink.textContent = link;
      this.joinLink.rel = "noopener noreferrer";
    }
    if (this.joinNote) {
      this.joinNote.hidden = safe;
    }
  }

  async rsvp() {
    const found = await api.rsvp(this.eventId, { zone: VIEWER_ZONE });
    const approve = found.payment && found.payment.approve_url;
    if (found.place && found.place.place === "offered" && approve) {
      try {
        window.sessionStorage.setItem(RETURN_KEY, window.location.pathname);
      } catch {
        // Private mode: pay-return links to Payments instead.
      }
      window.location.assign(approve);
      return;
    }
    this.draw(found);
  }

  async leave() {
    this.draw(await api.leaveEvent(this.eventId));
  }

  /** A paid ticket is refunded only if the Helper cancels the event: giving up the place is
   * said to be final before it is done. */
  confirmLeaving() {
    this.say(element("strong", { "data-testid": "event-leave-confirm" }, "Give up your ticket?"),
      "Your place goes to the next person waiting, and the ticket is not refunded: tickets are "
      + "refunded in full only if the event is cancelled.");
    this.actions.replaceChildren(
      this.button("Give up my ticket", { testId: "event-leave-confirmed", onClick: () => this.leave() }),
      this.button("Keep my ticket", { primary: true, testId: "event-keep", onClick: () => this.refresh() }));
  }

  fail(error) {
    if (error && error.code === "signed_out") {
      window.location.assign(signInUrl());
      return;
    }
    this.error.hidden = false;
    this.error.textContent = error && error.message ? error.message : "Something went wrong. Try again.";
  }
}

showLocalTimes(document);
const main = document.querySelector("[data-event][data-event-id]");
if (main) {
  new Registration(main).start();
}

const reportBox = document.querySelector("[data-report]");
if (reportBox) { // an event page: its Report form (js/reports.js), loaded only there
  import("../reports.js").then(({ wireReportBox }) => wireReportBox(reportBox));
}
