/** Form behaviour shared by every page: errors beside their field or in the form's alert,
 * busy state, and required-field checks. Messages are always set as text, never as HTML. */

function alertOf(form) {
  return form.querySelector("[data-form-alert]");
}

function errorSlot(form, name) {
  return form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
}

function control(form, name) {
  const element = form.elements.namedItem(name);
  return element instanceof HTMLElement ? element : null;
}

export function clearErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    slot.textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
  }
  const alert = alertOf(form);
  if (alert) {
    alert.replaceChildren();
  }
}

/** Puts `message` under the field `name`; false when the form has no such field. */
export function showFieldError(form, name, message, { focus = true } = {}) {
  const input = control(form, name);
  const slot = errorSlot(form, name);
  if (!input || !slot) {
    return false;
  }
  slot.textContent = message;
  input.setAttribute("aria-invalid", "true");
  if (focus) {
    input.focus();
  }
  return true;
}

/** Shows `message` in the form's alert, optionally followed by a link to act on it. */
export function showFormError(form, message, link = null) {
  const alert = alertOf(form);
  if (!alert) {
    return;
  }
  const parts = [document.createTextNode(message)];
  if (link) {
    const anchor = document.createElement("a");
    anchor.href = link.href;
    anchor.textContent = link.label;
    parts.push(document.createTextNode(" "), anchor);
  }
  alert.replaceChildren(...parts);
}

/** Every problem an error carries: the server's list of bad fields, or the error itself. */
export function problemsOf(error) {
  return error && Array.isArray(error.problems) && error.problems.length ? error.problems : [error];
}

/** Shows an ApiError (or any error) where it belongs: each bad field's message beside it (the
 * first one focused), anything without a field of this form on top. */
export function showError(form, error, link = null) {
  const elsewhere = [];
  let focused = false;
  for (const problem of problemsOf(error)) {
    const message = (problem && problem.message) || "Something went wrong. Please try again.";
    if (problem && problem.field && showFieldError(form, problem.field, message, { focus: !focused })) {
      focused = true;
    } else {
      elsewhere.push(message);
    }
  }
  if (elsewhere.length) {
    showFormError(form, elsewhere.join(" "), link);
  }
}

/** Checks that each named field has a value; shows `messages[name]` beside the empty ones. */
export function requireFields(form, messages) {
  let firstEmpty = null;
  for (const [name, message] of Object.entries(messages)) {
    const input = control(form, name);
    if (input && !String(input.value).trim()) {
      showFieldError(form, name, message, { focus: false });
      firstEmpty = firstEmpty || input;
    }
  }
  if (firstEmpty) {
    firstEmpty.focus();
    return false;
  }
  return true;
}

export function valueOf(form, name, { trim = true } = {}) {
  const input = control(form, name);
  const value = input ? String(input.value) : "";
  return trim ? value.trim() : value;
}

/** Disables the submit button while a request runs and says what is happening. */
export function setBusy(form, busy) {
  const button = form.querySelector('button[type="submit"]');
  form.setAttribute("aria-busy", String(busy));
  if (!button) {
    return;
  }
  if (!button.dataset.idleLabel) {
    button.dataset.idleLabel = button.textContent;
  }
  button.disabled = busy;
  button.textContent = busy ? button.dataset.busyLabel || "Please wait…" : button.dataset.idleLabel;
}

/** Clears a field's error as soon as the person edits it. */
export function clearFieldErrorsOnInput(form) {
  form.addEventListener("input", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.name) {
      return;
    }
    input.removeAttribute("aria-invalid");
    const slot = errorSlot(form, input.name);
    if (slot) {
      slot.textContent = "";
    }
  });
}

/** A "Show"/"Hide" button for a password input (its name says which, for screen readers too). */
export function wirePasswordToggle(button) {
  const input = document.getElementById(button.getAttribute("aria-controls") || "");
  const label = button.querySelector("[data-toggle-label]");
  if (!input || !label) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", () => {
    const showing = input.type === "text";
    input.type = showing ? "password" : "text";
    label.textContent = showing ? "Show" : "Hide";
  });
}

/** The form's script now handles its submit: its submit buttons, disabled in the page's HTML
 * (`data-until-ready`) so that nothing is sent before (the browser would send the fields, a
 * password too, to the page's own address), work from here on. Call it once the submit
 * listener is attached. */
export function formReady(form) {
  for (const button of form.querySelectorAll("button[data-until-ready]")) {
    button.removeAttribute("data-until-ready");
    button.disabled = false;
  }
}
