/** A Helper's blog editor (`/posts.html`): their posts, drafts too, newest first, each with its
 * state; and one post written in Markdown with a preview the server renders (the same renderer
 * and sanitizer as the post page), a cover and pictures for its body (straight to S3, then
 * checked and redrawn: see js/pages/my-store/storage.js for the trip), and when it goes out —
 * kept as a draft, scheduled at a date and time in the Helper's own time zone, or published now.
 * A published or scheduled post can be unpublished; any post deleted.
 *
 * Addresses: `/posts.html` (the list), `?new=1` (a new post), `?post=<id>` (a post), and S3's
 * return from an upload, `?post=<id>&key=<upload key>` (which picture it was is kept in
 * sessionStorage for the trip). */

import { api, isSignedIn } from "../api.js";
import { element } from "../dom.js";
import { mountFooter } from "../footer.js";
import { clearErrors, formReady, setBusy, showError, showFieldError } from "../forms.js";
import { mountHeader } from "../header.js";
import { loadFailure } from "../load-failure.js";
import { leaveIfSignedOut, signInUrl } from "../paths.js";
import { timeZoneLabel, wallClock, zonedInstant } from "../weekly-time.js";
import { onUploadBlocked, postToStorage } from "./my-store/storage.js";

const PICTURE_TYPES = ["image/jpeg", "image/png", "image/webp"];
const PENDING = "interkanect.post-upload";
const PAGE_SIZE = 20;

if (!isSignedIn()) {
  window.location.replace(signInUrl());
}

mountHeader();
mountFooter();

const $ = (selector, root = document) => root.querySelector(selector);
const statusLine = $("[data-posts-status]");
const failureSlot = $("[data-posts-failure]");
const notice = $("[data-posts-notice]");
const notHelper = $("[data-not-helper]");
const index = $("[data-post-index]");
const rows = $("[data-post-rows]");
const firstPost = $("[data-first-post]");
const morePosts = $("[data-more-posts]");
const form = $("[data-post-editor]");
const titleInput = $("[data-title-input]", form);
const bodyInput = $("[data-body-input]", form);
const preview = $("[data-panel='preview']", form);
const writePanel = $("[data-panel='write']", form);
const scheduleFields = $("[data-schedule-fields]", form);
const publishAt = form.elements.namedItem("publish_at");
const saveButton = $("[data-save]", form);
const stateLine = $("[data-post-state]", form);
const links = $("[data-post-links]", form);
const viewPost = $("[data-view-post]", form);
const danger = $("[data-post-danger]", form);
const unpublishButton = $("[data-unpublish]", form);
const deleteButton = $("[data-delete]", form);
const confirmBox = $("[data-confirm-delete]", form);
const coverPreview = $("[data-cover-preview]", form);
const coverFile = $("[data-cover-file]", form);
const coverLabel = $("[data-cover-label]", form);
const coverStatus = $("[data-cover-status]", form);
const removeCover = $("[data-remove-cover]", form);
const inlineFile = $("[data-inline-file]", form);
const hiddenNote = $("[data-hidden-note]", form);

let me = null; // {user_id, username, time_zone}
let post = null; // the post being edited, as the server last gave it (null: a new one)
let dirty = false;
let cursor = null;

const dateFormat = () => new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium", timeStyle: "short", timeZone: me.time_zone,
});

function say(message) {
  notice.textContent = message;
  notice.hidden = !message;
  if (message) {
    notice.focus();
  }
}

function stateText(p) {
  const when = (seconds) => dateFormat().format(new Date(seconds * 1000));
  if (p.hidden) {
    return "Hidden by our team";
  }
  if (p.status === "published") {
    return `Published ${when(p.published_at || p.date)}`;
  }
  if (p.status === "scheduled") {
    return `Scheduled for ${when(p.publish_at)}`;
  }
  return p.first_published_at ? "Draft (unpublished)" : "Draft";
}

/** The date beside a row's pill: when it went out, goes out, or was last saved. */
function whenText(p) {
  const when = (seconds) => dateFormat().format(new Date(seconds * 1000));
  if (p.hidden) {
    return p.hidden_note || "";
  }
  if (p.status === "published") {
    return when(p.published_at || p.date);
  }
  if (p.status === "scheduled") {
    return `Goes out ${when(p.publish_at)}`;
  }
  return `Saved ${when(p.updated_at)}`;
}

function pill(p) {
  const kind = p.hidden ? "hidden" : p.status;
  const label = { hidden: "Hidden", published: "Published", scheduled: "Scheduled", draft: "Draft" }[kind];
  return element("span", { class: `post-pill post-pill-${kind}` }, label);
}

// -- the list ---------------------------------------------------------------------------------

function row(p) {
  const href = `/posts.html?post=${encodeURIComponent(p.post_id)}`;
  return element("li", { class: "post-row", "data-post-row": p.post_id },
    p.cover_card ? element("img", { class: "post-row-cover", src: p.cover_card, alt: "", width: "96", height: "60",
      loading: "lazy" }) : element("span", { class: "post-row-cover post-row-cover-empty", "aria-hidden": "true" }),
    element("div", { class: "post-row-text" },
      element("a", { class: "post-row-title", href }, p.title),
      element("p", { class: "post-row-meta" }, pill(p), " ", element("span", {}, whenText(p)))),
    element("a", { class: "button button-secondary button-small post-row-edit", href },
      "Edit", element("span", { class: "visually-hidden" }, ` ${p.title}`)));
}

async function loadList() {
  const { posts, next_cursor: next } = await api.myPosts({ limit: PAGE_SIZE, cursor });
  rows.append(...posts.map(row));
  cursor = next;
  morePosts.hidden = !next;
  firstPost.hidden = rows.children.length > 0;
}

morePosts.addEventListener("click", async () => {
  morePosts.disabled = true;
  try {
    await loadList();
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      say(error.message);
    }
  } finally {
    morePosts.disabled = false;
  }
});

// -- the editor -------------------------------------------------------------------------------

function localValue(seconds) {
  const w = wallClock(me.time_zone, seconds * 1000);
  const two = (n) => String(n).padStart(2, "0");
  return `${w.year}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}`;
}

function secondsOf(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value || "");
  if (!match) {
    return null;
  }
  const [, y, mo, d, h, mi] = match.map(Number);
  return Math.floor(zonedInstant(me.time_zone, y, mo, d, h * 60 + mi) / 1000);
}

function chosenStatus() {
  return form.elements.namedItem("status").value;
}

function drawWhen() {
  const status = chosenStatus();
  scheduleFields.hidden = status !== "scheduled";
  const published = post && post.status === "published";
  const label = { draft: published ? "Unpublish and save" : "Save draft", scheduled: "Schedule",
    published: published ? "Update post" : "Publish" }[status];
  saveButton.dataset.idleLabel = label;
  if (!saveButton.disabled || form.getAttribute("aria-busy") !== "true") {
    saveButton.textContent = label;
  }
}

function autosize() {
  titleInput.style.height = "auto";
  titleInput.style.height = `${titleInput.scrollHeight}px`;
}

function drawPost() {
  titleInput.value = post ? post.title : "";
  bodyInput.value = post ? post.body : "";
  form.elements.namedItem("excerpt").value = post ? post.excerpt : "";
  form.elements.namedItem("slug").value = post ? post.slug : "";
  const status = post ? post.status : "draft";
  for (const radio of form.querySelectorAll("input[name='status']")) {
    radio.checked = radio.value === status;
  }
  const soon = Math.ceil((Date.now() / 1000 + 3600) / 900) * 900; // the next quarter hour an hour ahead
  publishAt.value = localValue(post && post.publish_at ? post.publish_at : soon);
  publishAt.min = localValue(Math.floor(Date.now() / 1000) + 60);
  stateLine.textContent = post ? stateText(post) : "New draft";
  stateLine.className = `post-state post-state-${post ? (post.hidden ? "hidden" : post.status) : "draft"}`;
  const publicNow = post && post.status === "published" && !post.hidden;
  links.hidden = !publicNow;
  if (publicNow) {
    viewPost.href = post.url;
  }
  danger.hidden = !post;
  unpublishButton.hidden = !post || post.status === "draft";
  confirmBox.hidden = true;
  hiddenNote.hidden = !(post && post.hidden);
  hiddenNote.textContent = post && post.hidden
    ? `Our team hid this post after a report: ${post.hidden_note} It is not on your blog.` : "";
  coverPreview.hidden = !(post && post.cover);
  if (post && post.cover) {
    coverPreview.src = post.cover;
  }
  coverLabel.textContent = post && post.cover ? "Change cover" : "Add a cover picture";
  removeCover.hidden = !(post && post.cover);
  drawWhen();
  autosize();
  dirty = false;
}

function fields() {
  const status = chosenStatus();
  const body = {
    title: titleInput.value.trim(),
    body: bodyInput.value,
    excerpt: form.elements.namedItem("excerpt").value.trim(),
    status,
  };
  const slug = form.elements.namedItem("slug").value.trim();
  if (slug) {
    body.slug = slug;
  }
  if (status === "scheduled") {
    body.publish_at = secondsOf(publishAt.value);
  }
  if (post) {
    body.version = post.version;
  }
  return body;
}

function check(body) {
  if (!body.title) {
    showFieldError(form, "title", "Give your post a title.");
    return false;
  }
  if (body.status === "scheduled" && (!body.publish_at || body.publish_at <= Date.now() / 1000)) {
    showFieldError(form, "publish_at", "Choose a time to come.");
    return false;
  }
  return true;
}

/** Saves the post as the form has it; true when saved. */
async function save({ quiet = false } = {}) {
  clearErrors(form);
  const body = fields();
  if (!check(body)) {
    return false;
  }
  setBusy(form, true);
  try {
    const answer = post ? await api.savePost(post.post_id, body) : await api.createPost(body);
    const before = post;
    post = answer.post;
    window.history.replaceState(null, "", `/posts.html?post=${encodeURIComponent(post.post_id)}`);
    setBusy(form, false);
    drawPost();
    if (!quiet) {
      const out = post.status === "published" && !(before && before.status === "published");
      say(out ? "Published: it is on your blog and your page, and your followers hear of it."
        : post.status === "scheduled"
          ? `Scheduled: it goes out ${dateFormat().format(new Date(post.publish_at * 1000))}.`
          : "Saved.");
    }
    return true;
  } catch (error) {
    setBusy(form, false);
    drawWhen();
    if (!leaveIfSignedOut(error)) {
      showError(form, error);
    }
    return false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  say("");
  save();
});
form.addEventListener("input", (event) => {
  dirty = true;
  if (event.target === titleInput) {
    autosize();
  }
});
form.addEventListener("change", (event) => {
  if (event.target.name === "status") {
    drawWhen();
  }
});
window.addEventListener("resize", autosize);
titleInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault(); // a title is one line
    bodyInput.focus();
  }
});

// Write | Preview: the preview is the server's rendering of the body.
const tabs = [...form.querySelectorAll("[role='tab']")];
async function showTab(name) {
  for (const tab of tabs) {
    const on = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
  }
  writePanel.hidden = name !== "write";
  preview.hidden = name !== "preview";
  if (name === "preview") {
    preview.replaceChildren(element("p", { class: "post-preview-empty" }, "Loading the preview…"));
    try {
      const { html } = await api.previewPost(bodyInput.value);
      if (html) {
        preview.innerHTML = html; // sanitized by the server (domain/post_text.py), as on the post page
      } else {
        preview.replaceChildren(element("p", { class: "post-preview-empty" }, "Nothing to preview yet."));
      }
    } catch (error) {
      if (!leaveIfSignedOut(error)) {
        preview.replaceChildren(element("p", { class: "field-error" }, error.message));
      }
    }
  }
}
for (const tab of tabs) {
  tab.addEventListener("click", () => showTab(tab.dataset.tab));
  tab.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      const other = tabs.find((t) => t !== tab);
      other.focus();
      showTab(other.dataset.tab);
    }
  });
}

// -- pictures ---------------------------------------------------------------------------------

onUploadBlocked(() => {
  coverStatus.textContent = "Your browser blocked the upload; your post is unchanged.";
});

async function upload(input, cover) {
  const file = input.files && input.files[0];
  if (!file) {
    return;
  }
  if (!PICTURE_TYPES.includes(file.type)) {
    coverStatus.textContent = "Choose a JPEG, PNG or WebP picture.";
    input.value = "";
    return;
  }
  if ((!post || dirty) && !(await save({ quiet: true }))) {
    input.value = "";
    return; // an upload leaves the page for a moment: the post is saved first
  }
  coverStatus.textContent = "Uploading your picture…";
  try {
    const target = await api.postImageUpload(post.post_id, { content_type: file.type });
    if (target.max_bytes && file.size > target.max_bytes) {
      coverStatus.textContent = "That picture is over 5 MB.";
      input.value = "";
      return;
    }
    try {
      window.sessionStorage.setItem(PENDING, JSON.stringify({ postId: post.post_id, cover }));
    } catch {
      // No session storage: it comes back as a picture for the body.
    }
    postToStorage(target, file, input);
  } catch (error) {
    input.value = "";
    if (!leaveIfSignedOut(error)) {
      coverStatus.textContent = error.message;
    }
  }
}

coverFile.addEventListener("change", () => upload(coverFile, true));
inlineFile.addEventListener("change", () => upload(inlineFile, false));

removeCover.addEventListener("click", async () => {
  try {
    post = (await api.removePostCover(post.post_id)).post;
    drawPost();
    coverStatus.textContent = "Cover removed.";
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      coverStatus.textContent = error.message;
    }
  }
});

/** Back from S3: the picture is checked and shown (the cover, or added where the body ends). */
async function finishUpload(postId, key) {
  let pending = { postId, cover: false };
  try {
    pending = JSON.parse(window.sessionStorage.getItem(PENDING) || "null") || pending;
    window.sessionStorage.removeItem(PENDING);
  } catch {
    // keep the default
  }
  const cover = pending.cover && pending.postId === postId;
  const { post: saved, src } = await api.addPostImage(postId, { key, cover });
  post = saved;
  if (!(pending.cover && pending.postId === postId)) {
    const body = `${post.body.replace(/\s+$/, "")}\n\n![](${src})\n`;
    post = (await api.savePost(postId, { body, version: post.version })).post;
    return "Picture added at the end of your post. Describe it between the [ ] for people who cannot see it.";
  }
  return "Cover picture added.";
}

// -- unpublish, delete ------------------------------------------------------------------------

unpublishButton.addEventListener("click", async () => {
  unpublishButton.disabled = true;
  try {
    post = (await api.unpublishPost(post.post_id)).post;
    drawPost();
    say("Unpublished: it is a draft again, seen by you only.");
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      say(error.message);
    }
  } finally {
    unpublishButton.disabled = false;
  }
});

deleteButton.addEventListener("click", () => {
  confirmBox.hidden = false;
  $("[data-confirm-no]", confirmBox).focus();
});
$("[data-confirm-no]", confirmBox).addEventListener("click", () => {
  confirmBox.hidden = true;
  deleteButton.focus();
});
$("[data-confirm-yes]", confirmBox).addEventListener("click", async () => {
  try {
    await api.deletePost(post.post_id);
    window.location.assign("/posts.html?deleted=1");
  } catch (error) {
    if (!leaveIfSignedOut(error)) {
      say(error.message);
    }
  }
});

// -- start ------------------------------------------------------------------------------------

async function load() {
  failureSlot.replaceChildren();
  statusLine.hidden = false;
  const params = new URLSearchParams(window.location.search);
  try {
    const page = await api.myPage();
    if (!page) {
      statusLine.hidden = true;
      notHelper.hidden = false;
      return;
    }
    me = { user_id: page.user_id, username: page.username, time_zone: page.time_zone || "UTC" };
    $("[data-zone-note]", form).textContent = `In your time zone, ${timeZoneLabel(me.time_zone)}.`;
    const blogHref = `/h/${encodeURIComponent(me.username)}/blog`;
    $("[data-blog-link]").href = blogHref;
    const postId = params.get("post");
    if (postId || params.get("new")) {
      let message = "";
      if (postId && params.get("key")) {
        message = await finishUpload(postId, params.get("key"));
        window.history.replaceState(null, "", `/posts.html?post=${encodeURIComponent(postId)}`);
      } else if (postId) {
        post = (await api.myPost(postId)).post;
      }
      statusLine.hidden = true;
      document.querySelector("main").setAttribute("data-editing", "");
      form.hidden = false;
      drawPost();
      formReady(form);
      if (message) {
        say(message);
      } else if (!post) {
        titleInput.focus();
      }
      return;
    }
    await loadList();
    statusLine.hidden = true;
    index.hidden = false;
    if (params.get("deleted")) {
      say("Post deleted.");
    }
  } catch (error) {
    statusLine.hidden = true;
    if (!leaveIfSignedOut(error)) {
      failureSlot.replaceChildren(loadFailure(error, load));
    }
  }
}

load();
