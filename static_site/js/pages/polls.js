/** A Helper's polls (`/polls.html`): ask a question (2 to 10 options, who sees the results,
 * an optional closing time in the Helper's own time), and the Helper's polls, newest first,
 * each with its results moving live (js/polls.js), a Close button while open, and the line that
 * places it in a post. */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { clearErrors, formReady, requireFields, setBusy, showError, showFormError, valueOf } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";
import { mountPoll } from "../polls.js";

const MIN_OPTIONS = 2;
const MAX_OPTIONS = 10;

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const statusLine = document.querySelector("[data-polls-status]");
const failureSlot = document.querySelector("[data-polls-failure]");
const notHelper = document.querySelector("[data-not-helper]");
const view = document.querySelector("[data-polls-view]");
const form = document.querySelector("[data-ask-form]");
const optionInputs = form.querySelector("[data-option-inputs]");
const addOption = form.querySelector("[data-add-option]");
const list = document.querySelector("[data-my-polls]");
const empty = document.querySelector("[data-polls-empty]");
const notice = document.querySelector("[data-polls-notice]");

let me = null; // {user_id, username}

function optionRow(index) {
  const id = `poll-option-${index}`;
  const input = element("input", {
    id, name: `options.${index}`, maxlength: "80", autocomplete: "off", "aria-describedby": `options.${index}-error`,
  });
  const remove = element("button", {
    type: "button", class: "button button-ghost button-small", "data-remove-option": "",
  }, "Remove", element("span", { class: "visually-hidden" }, ` option ${index + 1}`));
  remove.addEventListener("click", () => {
    const values = currentOptions().filter((_, n) => n !== index);
    drawOptions(values);
  });
  return element("li", { class: "field poll-option-input" },
    element("label", { for: id, class: "visually-hidden" }, `Option ${index + 1}`),
    input, remove,
    element("p", { class: "field-error", id: `options.${index}-error`, "data-error-for": `options.${index}` }));
}

function currentOptions() {
  return [...optionInputs.querySelectorAll("input")].map((input) => input.value);
}

function drawOptions(values) {
  optionInputs.replaceChildren(...values.map((_, index) => optionRow(index)));
  optionInputs.querySelectorAll("input").forEach((input, index) => {
    input.value = values[index];
    input.placeholder = `Option ${index + 1}`;
  });
  for (const button of optionInputs.querySelectorAll("[data-remove-option]")) {
    button.hidden = values.length <= MIN_OPTIONS;
  }
  addOption.hidden = values.length >= MAX_OPTIONS;
}

addOption.addEventListener("click", () => {
  drawOptions([...currentOptions(), ""]);
  const inputs = optionInputs.querySelectorAll("input");
  inputs[inputs.length - 1].focus();
});

function pollItem(poll) {
  const slot = element("div", { class: "poll-slot" });
  const place = element("code", { class: "poll-place" }, `[poll:${poll.poll_id}]`);
  const tools = element("div", { class: "poll-tools" },
    element("p", { class: "poll-note" }, "To place it in a post, put this line alone in the post: ", place));
  if (poll.open) {
    const close = element("button", { type: "button", class: "button button-secondary", "data-close-poll": "" },
      "Close poll");
    close.addEventListener("click", () => closePoll(poll, item, close));
    tools.append(close);
  }
  const item = element("li", { class: "my-poll", "data-my-poll": poll.poll_id }, slot, tools);
  mountPoll(slot, { username: me.username, poll, helperId: me.user_id });
  return item;
}

async function closePoll(poll, item, button) {
  button.disabled = true;
  try {
    const { poll: closed } = await api.closePoll(poll.poll_id);
    item.replaceWith(pollItem(closed));
    notice.textContent = "The poll is closed: everyone sees its results now.";
    notice.hidden = false;
  } catch (error) {
    button.disabled = false;
    if (!leaveIfSignedOut(error)) {
      notice.textContent = (error && error.message) || "The poll could not be closed. Try again.";
      notice.hidden = false;
    }
  }
}

function draw(polls) {
  list.replaceChildren(...polls.map(pollItem));
  empty.hidden = polls.length > 0;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  notice.hidden = true;
  if (!requireFields(form, { question: "Ask a question." })) {
    return;
  }
  const options = currentOptions().map((value) => value.trim()).filter(Boolean);
  if (options.length < MIN_OPTIONS) {
    showFormError(form, "Give at least two options.");
    optionInputs.querySelector("input").focus();
    return;
  }
  const closes = valueOf(form, "closes_at");
  const body = {
    question: valueOf(form, "question"),
    options,
    results: form.elements.namedItem("results").value,
  };
  if (closes) {
    body.closes_at = Math.floor(new Date(closes).getTime() / 1000);
  }
  setBusy(form, true);
  try {
    const { poll } = await api.askPoll(body);
    setBusy(form, false);
    form.reset();
    drawOptions(["", ""]);
    list.prepend(pollItem(poll));
    empty.hidden = true;
    notice.textContent = "Your poll is on your page now.";
    notice.hidden = false;
  } catch (error) {
    setBusy(form, false);
    if (!leaveIfSignedOut(error)) {
      showError(form, error);
    }
  }
});

async function load() {
  failureSlot.replaceChildren();
  statusLine.hidden = false;
  try {
    const page = await api.myPage();
    if (!page) {
      statusLine.hidden = true;
      notHelper.hidden = false;
      return;
    }
    me = { user_id: page.user_id, username: page.username };
    const { polls } = await api.myPolls();
    statusLine.hidden = true;
    drawOptions(["", ""]);
    draw(polls);
    view.hidden = false;
    formReady(form);
  } catch (error) {
    statusLine.hidden = true;
    if (!leaveIfSignedOut(error)) {
      failureSlot.replaceChildren(loadFailure(error, load));
    }
  }
}

load();
