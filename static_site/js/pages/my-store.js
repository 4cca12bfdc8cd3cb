/** My Store (`/my-store.html`): the seller's catalogue. Three views by address: the product
 * list with the shipping settings (`/my-store.html`), a new product (`?new=1`) and a product's
 * editor (`?product=<slug>`, where storage also sends the browser back after an upload, with
 * `&key=`). This module wires them: it loads what each view needs, sends what the seller does
 * to the API and draws the answers with the modules under `my-store/` (state and rules in
 * catalogue.js; drawing in product-list.js, product-form.js, media.js, shipping.js; the trip
 * to S3 in storage.js). */

import { api, isSignedIn } from "../api.js";
import { bySlug } from "../category-tree.js";
import { element } from "../dom.js";
import { clearErrors, formReady, setBusy, showError } from "../forms.js";
import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { PAGES, leaveIfSignedOut, pageUrl, signInUrl } from "../paths.js";
import {
  PICTURE_TYPES, FILE_TYPES, fileNameFor, fileTypeOf, formatBytes, rememberUpload, store, storePath,
  takeUpload, uploadReturn,
} from "./my-store/catalogue.js";
import {
  drawFiles, drawPictures, fileInput, focusPicture, hideFileProgress, pictureInput, setFileStatus,
  setPictureStatus, showFileProgress,
} from "./my-store/media.js";
import { drawProducts, moreButton } from "./my-store/product-list.js";
import {
  clearProblems, fillProduct, markClean, productForm, readProduct, showProblems,
} from "./my-store/product-form.js";
import { drawShipping, readShipping, setShippingStatus, shippingForm } from "./my-store/shipping.js";
import { onUploadBlocked, postToStorage } from "./my-store/storage.js";

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountFooter();

const STORE_PAGE = PAGES.myStore;
const params = new URLSearchParams(window.location.search);
const editing = params.get("product");
const creating = !editing && params.has("new");

const statusLine = document.querySelector("[data-store-status]");
const failureSlot = document.querySelector("[data-store-failure]");
const notice = document.querySelector("[data-store-notice]");
const notHelper = document.querySelector("[data-not-helper]");
const catalogue = document.querySelector("[data-catalogue]");
const storeLink = document.querySelector("[data-store-link]");
const storefrontNeeded = document.querySelector("[data-storefront-needed]");
const editorView = document.querySelector("[data-product-editor]");
const statusStorefront = document.querySelector("[data-status-storefront]");
const form = productForm();

function showNotice(message) {
  notice.textContent = message;
  notice.hidden = !message;
  if (message) {
    notice.focus({ preventScroll: true });
    notice.scrollIntoView({ block: "nearest" });
  }
}

function showNotHelper() {
  notHelper.hidden = false;
  catalogue.hidden = true;
  editorView.hidden = true;
}

/* ---- The list: products and shipping -------------------------------------------------- */

async function loadList() {
  const [found, { shipping }] = await Promise.all([api.myProducts(), api.myShipping()]);
  store.products = found.products || [];
  store.nextCursor = found.next_cursor || null;
  store.storefront = shipping ? {} : null;
  const username = store.user && store.user.username;
  if (username) {
    storeLink.href = storePath(username);
  }
  storeLink.hidden = !username;
  storefrontNeeded.hidden = Boolean(shipping) || store.products.length === 0;
  drawProducts(store.products, { username, hasMore: Boolean(store.nextCursor) });
  drawShipping(shipping);
  catalogue.hidden = false;
}

moreButton.addEventListener("click", async () => {
  moreButton.disabled = true;
  try {
    const found = await api.myProducts({ cursor: store.nextCursor });
    store.products.push(...(found.products || []));
    store.nextCursor = found.next_cursor || null;
    drawProducts(found.products || [], { username: store.user && store.user.username,
      hasMore: Boolean(store.nextCursor), append: true });
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      failureSlot.replaceChildren(loadFailure(error, () => window.location.reload()));
    }
  } finally {
    moreButton.disabled = false;
  }
});

const shipping = shippingForm();
shipping.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(shipping);
  setShippingStatus("");
  const read = readShipping();
  if (read.problems) {
    showError(shipping, { problems: read.problems });
    return;
  }
  setBusy(shipping, true);
  try {
    const saved = await api.saveShipping(read.shipping);
    drawShipping(saved.shipping);
    setShippingStatus("Shipping saved.");
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      showError(shipping, error);
    }
  } finally {
    setBusy(shipping, false);
  }
});
formReady(shipping);

/* ---- The editor ------------------------------------------------------------------------- */

function showProduct(product) {
  fillProduct(product, { kind: params.get("kind") === "physical" ? "physical" : "digital" });
  drawMedia(product);
  document.title = `${product ? product.title : "New product"} — My Store — interKanect`;
}

function drawMedia(product) {
  drawPictures(product, { onMove: movePicture, onRemove: removePicture });
  drawFiles(product, { onRemove: removeFile });
}

/** The product changed on the server (a picture, a file): keep it, leave the form as it is. */
function keepProduct(product) {
  store.product = product;
  drawMedia(product);
}

async function loadEditor() {
  const [page, categories, { shipping }, found] = await Promise.all([
    api.myPage(),
    api.categories().catch(() => ({ categories: [] })), // names only: slugs will do without them
    api.myShipping(),
    editing ? api.myProduct(editing).catch((error) => (error.status === 404 ? null : Promise.reject(error))) : null,
  ]);
  if (!page) {
    showNotHelper();
    return;
  }
  store.page = page;
  store.categoryNames = new Map([...bySlug(categories.categories || [])].map(([slug, c]) => [slug, c.name]));
  store.storefront = shipping ? {} : null;
  statusStorefront.hidden = Boolean(shipping);
  if (editing && !found) {
    failureSlot.replaceChildren(noSuchProduct());
    return;
  }
  showProduct(found ? found.product : null);
  editorView.hidden = false;
  await finishUpload();
}

function noSuchProduct() {
  return element("div", { class: "notice notice-error load-failure", role: "alert" },
    element("p", {}, "You have no product at that address."),
    element("a", { href: STORE_PAGE }, "Back to your products"));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearProblems();
  showNotice("");
  const read = readProduct();
  if (read.problems) {
    if (read.problems.length) {
      showProblems({ problems: read.problems });
    }
    return;
  }
  const created = !store.product;
  setBusy(form, true);
  try {
    const { product } = created ? await api.createProduct(read.fields)
      : await api.saveProduct(store.product.slug, read.fields);
    setBusy(form, false);
    showProduct(product);
    if (created) {
      window.history.replaceState(null, "", pageUrl(STORE_PAGE, { product: product.slug }));
    }
    showNotice(savedMessage(product, created));
  } catch (error) {
    setBusy(form, false);
    if (!leaveIfSignedOut(error)) {
      showProblems(error);
    }
  }
});
formReady(form);

function savedMessage(product, created) {
  if (created) {
    return product.kind === "digital"
      ? "Product created as a draft. Add a picture and the file buyers get, then put it on sale."
      : "Product created as a draft. Add a picture, then put it on sale.";
  }
  return product.status === "active" ? "Saved. It is on sale in your store." : "Saved.";
}

window.addEventListener("beforeunload", (event) => {
  if (store.dirty) {
    event.preventDefault();
    event.returnValue = ""; // the browser asks whether to leave unsaved changes
  }
});

/* ---- Pictures ---------------------------------------------------------------------------- */

/** An upload leaves the page: unsaved changes would be lost on the way. */
function unsavedBlocks(say) {
  if (store.dirty) {
    say("Save your changes first: an upload leaves this page for a moment.", true);
    return true;
  }
  return false;
}

pictureInput.addEventListener("change", async () => {
  const file = pictureInput.files && pictureInput.files[0];
  if (!file || unsavedBlocks(setPictureStatus)) {
    pictureInput.value = "";
    return;
  }
  if (!PICTURE_TYPES.includes(file.type)) {
    setPictureStatus("Choose a JPEG, PNG or WebP picture.", true);
    pictureInput.value = "";
    return;
  }
  setPictureStatus("Uploading your picture…");
  try {
    const target = await api.productImageUpload(store.product.slug, { content_type: file.type });
    if (target.max_bytes && file.size > target.max_bytes) {
      setPictureStatus(`That picture is ${formatBytes(file.size)}; the limit is ${formatBytes(target.max_bytes)}.`, true);
      pictureInput.value = "";
      return;
    }
    postToStorage(target, file, pictureInput);
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      setPictureStatus(error.message, true);
    }
    pictureInput.value = "";
  }
});

async function changePictures(keys, done, focus) {
  setPictureStatus("Saving the pictures…");
  try {
    const { product } = await api.setProductImages(store.product.slug, { keys });
    keepProduct(product);
    setPictureStatus(done);
    focus();
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      setPictureStatus(error.message, true);
    }
  }
}

function movePicture(index, by) {
  const keys = [...(store.product.image_keys || [])];
  const to = index + by;
  if (to < 0 || to >= keys.length) {
    return;
  }
  [keys[index], keys[to]] = [keys[to], keys[index]];
  changePictures(keys, to === 0 ? "Picture moved: it is the cover now." : "Picture moved.",
    () => focusPicture(to, `[data-move="${by}"]`));
}

function removePicture(index) {
  const keys = (store.product.image_keys || []).filter((_, i) => i !== index);
  changePictures(keys, "Picture removed.", () => focusPicture(Math.min(index, keys.length - 1), "[data-remove-picture]"));
}

/* ---- Files ------------------------------------------------------------------------------- */

const FILE_MAX_BYTES = 500 * 1024 * 1024;

fileInput.setAttribute("accept", Object.keys(FILE_TYPES).map((extension) => `.${extension}`).join(","));

fileInput.addEventListener("change", async () => {
  const file = fileInput.files && fileInput.files[0];
  if (!file || unsavedBlocks(setFileStatus)) {
    fileInput.value = "";
    return;
  }
  const contentType = fileTypeOf(file.name, file.type);
  if (!contentType || file.size === 0 || file.size > FILE_MAX_BYTES) {
    setFileStatus(!contentType
      ? "Buyers can get PDF, ZIP, EPUB, MP3, WAV, MP4, JPEG, PNG, TXT or CSV files."
      : file.size === 0 ? "That file is empty." : `That file is ${formatBytes(file.size)}; the limit is 500 MB.`, true);
    fileInput.value = "";
    return;
  }
  setFileStatus("");
  try {
    const target = await api.productFileUpload(store.product.slug, { content_type: contentType, size: file.size });
    rememberUpload({ fileId: target.file_id, name: fileNameFor(file.name, target.file_id), size: file.size });
    showFileProgress(file.name, file.size);
    postToStorage(target, file, fileInput);
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      setFileStatus(error.message, true);
    }
    fileInput.value = "";
  }
});

async function removeFile(file, button) {
  button.disabled = true;
  setFileStatus(`Removing ${file.name}…`);
  try {
    const { product } = await api.removeProductFile(store.product.slug, file.file_id);
    keepProduct(product);
    setFileStatus(`${file.name} removed. Buyers who have it keep downloading it.`);
    fileInput.focus();
  } catch (error) {
    button.disabled = false;
    if (!leaveIfSignedOut(error)) {
      setFileStatus(error.message, true);
    }
  }
}

onUploadBlocked(() => {
  hideFileProgress();
  drawMedia(store.product);
  const message = "Your browser blocked the upload. Please tell us about it; your product is unchanged.";
  setPictureStatus(message, true);
  setFileStatus(message, true);
});

/** Back from storage: the server checks what arrived and adds it to the product. */
async function finishUpload() {
  const back = uploadReturn(params);
  if (!back || !store.product || back.slug !== store.product.slug) {
    return;
  }
  window.history.replaceState(null, "", pageUrl(STORE_PAGE, { product: back.slug }));
  const say = back.what === "picture" ? setPictureStatus : setFileStatus;
  say(back.what === "picture" ? "Checking your new picture…" : "Checking your file…");
  document.getElementById(back.what === "picture" ? "pictures" : "files").scrollIntoView({ block: "center" });
  try {
    let product;
    if (back.what === "picture") {
      ({ product } = await api.addProductImage(back.slug, { key: back.key }));
      say("Picture added.");
    } else {
      const kept = takeUpload(back.fileId);
      const name = (kept && kept.name) || fileNameFor("", `file-${back.fileId}`);
      ({ product } = await api.addProductFile(back.slug, { file_id: back.fileId, name }));
      say(`${name} is ready: buyers download it once they have paid.`);
    }
    keepProduct(product);
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      say(error.message, true);
    }
  }
}

/* ---- Loading ----------------------------------------------------------------------------- */

async function load() {
  failureSlot.replaceChildren();
  statusLine.textContent = editing ? "Loading your product…" : creating ? "Loading…" : "Loading your store…";
  try {
    if (store.user && store.user.is_helper === false) {
      showNotHelper(); // no page, so no store: skip asking (and a 404 in the console)
    } else if (editing || creating) {
      await loadEditor();
    } else {
      await loadList();
    }
  } catch (error) {
    if (leaveIfSignedOut(error)) {
      return;
    }
    if (error && error.status === 404) {
      showNotHelper();
    } else {
      failureSlot.replaceChildren(loadFailure(error, load));
    }
  } finally {
    statusLine.textContent = "";
  }
}

if (isSignedIn()) {
  store.user = await mountHeader();
  if (!store.user && !isSignedIn()) {
    window.location.replace(signInUrl()); // the session could not be renewed
  } else {
    markClean();
    await load();
  }
}
