/** My Store: the product editor's form drawn and read — title, description, status, kind,
 * category and the variant rows (name, SKU, price in dollars, stock or unlimited) — and every
 * problem the server names (`title`, `variants.1.price_cents`) marked beside its field. */

import { element } from "../../dom.js";
import { problemsOf, requireFields, showFieldError, valueOf } from "../../forms.js";
import { centsToInput } from "../../money.js";
import {
  KINDS, MAX_VARIANTS, STATUSES, productPath, readVariant, store, variantProblem,
} from "./catalogue.js";

const form = document.querySelector("[data-product-form]");
const heading = form.querySelector("[data-product-heading]");
const address = form.querySelector("[data-product-address]");
const alertSlot = form.querySelector("[data-form-alert]");
const unsaved = form.querySelector("[data-unsaved]");
const saveButton = form.querySelector("[data-save]");
const statusSelect = form.elements.namedItem("status");
const categorySelect = form.elements.namedItem("category");
const categoryHint = form.querySelector("[data-category-hint]");
const kindPanel = form.querySelector("#kind-panel");
const kindHint = form.querySelector("[data-kind-hint]");
const kindError = form.querySelector('[data-error-for="kind"]');
const viewProduct = form.querySelector("[data-view-product]");
const variantsPanel = form.querySelector("#variants-panel");
const variantRows = form.querySelector("[data-variant-rows]");
const variantsHead = form.querySelector("[data-variants-head]");
const addVariant = form.querySelector("[data-add-variant]");
const variantsError = form.querySelector('[data-error-for="variants"]');
const filesPanel = form.querySelector("[data-files-panel]");

let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

export function productForm() {
  return form;
}

statusSelect.replaceChildren(...Object.entries(STATUSES).map(([value, label]) =>
  element("option", { value }, label)));

/* ---- Unsaved changes ------------------------------------------------------------------ */

export function markDirty() {
  store.dirty = true;
  unsaved.hidden = false;
}

export function markClean() {
  store.dirty = false;
  unsaved.hidden = true;
}

function updateCounters() {
  for (const counter of form.querySelectorAll("[data-counter-for]")) {
    const input = form.elements.namedItem(counter.getAttribute("data-counter-for"));
    counter.textContent = `${input.value.length} / ${input.maxLength}`;
  }
}

/** Editing a field clears its error, and the form now differs from what is saved. */
function edited(event) {
  const target = event.target;
  if (!(target instanceof HTMLElement) || target.hasAttribute("data-no-dirty")) {
    return;
  }
  markDirty();
  if (target.hasAttribute("data-counted")) {
    updateCounters();
  }
  if (target.getAttribute("aria-invalid")) {
    target.removeAttribute("aria-invalid");
    for (const id of (target.getAttribute("aria-describedby") || "").split(/\s+/)) {
      const slot = id && document.getElementById(id);
      if (slot && slot.classList.contains("field-error")) {
        slot.textContent = "";
      }
    }
  }
}
form.addEventListener("input", edited);
form.addEventListener("change", edited);

/* ---- Kind: digital products deliver files and have no stock ----------------------------- */

function chosenKind() {
  const checked = form.querySelector('input[name="kind"]:checked');
  return (store.product && store.product.kind) || (checked ? checked.value : "digital");
}

function showKind() {
  const kind = chosenKind();
  variantsPanel.dataset.kind = kind;
  filesPanel.hidden = kind !== "digital";
}

for (const radio of form.querySelectorAll('input[name="kind"]')) {
  radio.addEventListener("change", showKind);
}

/* ---- Variant rows ----------------------------------------------------------------------- */

function labelled(text, control) {
  const id = nextId("variant-field");
  control.id = id;
  // Hidden behind the column heads on wide screens; shown above each control on phones.
  return [element("label", { class: "row-label", for: id }, text), control];
}

/** A dollar amount's label and its input behind a "$". */
function moneyLabelled(text, input) {
  const [label] = labelled(text, input);
  return [label, element("div", { class: "money-input" },
    element("span", { class: "money-sign", "aria-hidden": "true" }, "$"), input)];
}

function variantRow(variant = {}) {
  const errorId = nextId("variant-error");
  const described = { "aria-describedby": errorId };
  const name = element("input", { type: "text", "data-field": "name", maxlength: "60",
    autocomplete: "off", placeholder: "Standard", ...described });
  name.value = variant.name || "";
  const sku = element("input", { type: "text", "data-field": "sku", maxlength: "64",
    autocomplete: "off", spellcheck: "false", ...described });
  sku.value = variant.sku || "";
  const price = element("input", { type: "text", "data-field": "price_cents", inputmode: "decimal",
    autocomplete: "off", maxlength: "10", placeholder: "25.00", ...described });
  price.value = Number.isSafeInteger(variant.price_cents) ? centsToInput(variant.price_cents) : "";
  const stock = element("input", { type: "number", "data-field": "stock", min: "0", step: "1",
    inputmode: "numeric", ...described });
  const unlimited = element("input", { type: "checkbox", "data-field": "unlimited" });
  const limited = Number.isSafeInteger(variant.stock);
  stock.value = limited ? String(variant.stock) : "";
  unlimited.checked = "stock" in variant && variant.stock === null; // a saved unlimited variant
  stock.disabled = unlimited.checked;
  unlimited.addEventListener("change", () => {
    stock.disabled = unlimited.checked;
    if (!unlimited.checked) {
      stock.focus();
    }
  });
  const remove = element("button", { type: "button", class: "button button-ghost row-remove" },
    element("span", { "aria-hidden": "true" }, "×"),
    element("span", { class: "visually-hidden", "data-remove-label": "" }, "Remove variant"));
  const row = element("div", { class: "variant-row variants-grid", role: "group",
    "data-variant-row": "" },
  element("div", { class: "row-cell" }, ...labelled("Name", name)),
  element("div", { class: "row-cell" }, ...labelled("SKU", sku)),
  element("div", { class: "row-cell" }, ...moneyLabelled("Price in dollars", price)),
  element("div", { class: "row-cell stock-cell" }, ...labelled("Stock", stock),
    element("label", { class: "stock-unlimited" }, unlimited, " Unlimited")),
  remove,
  element("p", { class: "field-error row-error", id: errorId, "data-row-error": "" }));
  if (variant.variant_id) {
    row.dataset.variantId = variant.variant_id;
  }
  remove.addEventListener("click", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    refreshRows();
    markDirty();
    (next ? next.querySelector("input") : addVariant).focus();
  });
  return row;
}

function refreshRows() {
  const rows = [...variantRows.children];
  variantsHead.hidden = rows.length === 0;
  addVariant.disabled = rows.length >= MAX_VARIANTS;
  rows.forEach((row, index) => {
    row.setAttribute("aria-label", `Variant ${index + 1}`);
    row.querySelector("[data-remove-label]").textContent = `Remove variant ${index + 1}`;
    row.querySelector(".row-remove").disabled = rows.length === 1; // a product has one at least
  });
}

addVariant.addEventListener("click", () => {
  const last = variantRows.lastElementChild;
  const row = variantRow(last ? { price_cents: readPriceOf(last) } : {});
  variantRows.append(row);
  refreshRows();
  markDirty();
  row.querySelector("input").focus();
});

/** A new row starts at the last row's price, as sizes of one thing usually cost the same. */
function readPriceOf(row) {
  const read = readVariant({ price: row.querySelector('[data-field="price_cents"]').value,
    name: "", sku: "", unlimited: true, stock: "" }, "digital");
  return read.variant ? read.variant.price_cents : undefined;
}

function fillVariants(variants) {
  variantRows.replaceChildren(...(variants.length ? variants : [{}]).map(variantRow));
  refreshRows();
}

/* ---- Categories: the Helper's own help categories --------------------------------------- */

function fillCategories(selected) {
  const own = (store.page && store.page.categories) || [];
  const slugs = selected && !own.includes(selected) ? [...own, selected] : own;
  categorySelect.replaceChildren(element("option", { value: "" }, "No category"),
    ...slugs.map((slug) => element("option", { value: slug }, store.categoryNames.get(slug) || slug)));
  categorySelect.value = selected || "";
  categoryHint.textContent = own.length
    ? "Where the Marketplace lists it: one of your help categories."
    : "Join a help category on My page to list your products in the Marketplace by category.";
}

/* ---- The whole form ---------------------------------------------------------------------- */

/** Fills the editor with a saved product, or empties it for a new one (`kind` preselected). */
export function fillProduct(product, { kind = "digital" } = {}) {
  store.product = product;
  const values = product || { title: "", description: "", status: "draft", kind, variants: [] };
  heading.textContent = product ? product.title : "New product";
  form.elements.namedItem("title").value = values.title || "";
  form.elements.namedItem("description").value = values.description || "";
  statusSelect.value = values.status || "draft";
  for (const radio of form.querySelectorAll('input[name="kind"]')) {
    radio.checked = radio.value === values.kind;
    radio.disabled = Boolean(product);
  }
  kindPanel.classList.toggle("is-fixed", Boolean(product));
  kindHint.textContent = product
    ? `${KINDS[product.kind]}: a product stays what it was made as. Sell the other kind as a new product.`
    : "Chosen once: a product stays digital or physical.";
  fillCategories(values.category || "");
  fillVariants(values.variants || []);
  showKind();
  showAddress();
  saveButton.dataset.idleLabel = product ? "Save changes" : "Create product";
  saveButton.textContent = saveButton.dataset.idleLabel;
  updateCounters();
  markClean();
}

function showAddress() {
  const { product, page } = store;
  const username = page && page.username;
  if (!product || !username) {
    address.hidden = true;
    viewProduct.hidden = true;
    return;
  }
  const path = productPath(username, product.slug);
  address.replaceChildren("Address: ", element("span", { class: "product-slug" },
    `${window.location.host}${path}`));
  address.hidden = false;
  viewProduct.href = path;
  viewProduct.hidden = product.status !== "active"; // drafts and archived products are not shown
}

/** The body of `POST /me/products` or `PUT /me/products/{slug}`: `{fields}`, or `{problems}`
 * (each `{field, message}`) when something cannot be read here. */
export function readProduct() {
  if (!requireFields(form, { title: "Give your product a title." })) {
    return { problems: [] }; // marked already
  }
  const kind = chosenKind();
  const problems = [];
  const variants = [];
  [...variantRows.children].forEach((row, index) => {
    const value = (part) => row.querySelector(`[data-field="${part}"]`);
    const read = readVariant({
      variantId: row.dataset.variantId || null,
      name: value("name").value,
      sku: value("sku").value,
      price: value("price_cents").value,
      unlimited: value("unlimited").checked,
      stock: value("stock").value,
    }, kind);
    if (read.error) {
      problems.push({ field: `variants.${index}.${read.error.part}`, message: read.error.message });
    } else {
      variants.push(read.variant);
    }
  });
  if (problems.length) {
    return { problems };
  }
  return {
    fields: {
      title: valueOf(form, "title"),
      description: valueOf(form, "description", { trim: false }).trim(),
      kind,
      status: statusSelect.value,
      category: categorySelect.value || null,
      variants,
    },
  };
}

export function clearProblems() {
  alertSlot.replaceChildren();
  for (const slot of form.querySelectorAll("[data-error-for], [data-row-error]")) {
    slot.textContent = "";
  }
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
  }
}

/** Marks one variant row's problem; true when `field` names one of the rows. */
function markVariant(field, message, focus) {
  const named = variantProblem(field);
  const row = named && variantRows.children[named.index];
  if (!row) {
    return false;
  }
  const slot = row.querySelector("[data-row-error]");
  slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
  const controls = [...row.querySelectorAll("input[data-field]:not([type=checkbox])")];
  const marked = controls.filter((c) => c.getAttribute("data-field") === named.part);
  for (const control of marked.length ? marked : controls) {
    control.setAttribute("aria-invalid", "true");
  }
  if (focus) {
    const target = marked[0] || controls[0];
    if (target.disabled) {
      row.querySelector('[data-field="unlimited"]').focus();
    } else {
      target.focus();
    }
  }
  return true;
}

/** Shows each problem beside its field (the first focused) and a summary on top; what names
 * no field here goes on top as it is. */
export function showProblems(error) {
  const problems = problemsOf(error).filter(Boolean);
  let marked = 0;
  const elsewhere = [];
  for (const problem of problems) {
    const message = problem.message || "Something went wrong. Please try again.";
    const field = problem.field || "";
    const focus = marked === 0;
    let placed = markVariant(field, message, focus);
    if (!placed && field === "variants") {
      variantsError.textContent = message;
      if (focus) {
        addVariant.focus();
      }
      placed = true;
    } else if (!placed && field === "kind") {
      kindError.textContent = message;
      placed = true;
    } else if (!placed && field) {
      placed = showFieldError(form, field, message, { focus });
    }
    if (placed) {
      marked += 1;
    } else {
      elsewhere.push(message);
    }
  }
  const summary = marked > 1 ? "Check the highlighted fields." : marked ? "Check the highlighted field." : "";
  alertSlot.textContent = ["The product was not saved.", summary, ...elsewhere].filter(Boolean).join(" ");
}

export { showKind };
