/** Building DOM nodes without innerHTML: text always goes in as text, and as people may see it. */

const JOINERS = new Set(["\u200c", "\u200d"]);
// Not format characters, yet they draw nothing: CGJ, Hangul fillers, Khmer vowels, braille blank.
const DRAWS_NOTHING = new Set(["\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u2800", "\u3164", "\uffa0"]);
const SELECTOR = /^[\ufe00-\ufe0f\u{e0100}-\u{e01ef}]$/u;
const INVISIBLE = /^[\p{Cf}\p{Cs}]$/u;
const WRITING = /^[\p{L}\p{M}\p{S}]$/u;
const LATIN = /^\p{Script=Latin}$/u;
const FLAG = /(\u{1f3f4}[\u{e0020}-\u{e007e}]+\u{e007f})/u; // a subdivision flag: its tags mean something
const NOT_ASCII = /[^\x00-\x7f]/;

function canJoin(char) {
  if (char === undefined || char.codePointAt(0) < 0x80) {
    return false;
  }
  return SELECTOR.test(char) || (WRITING.test(char) && !LATIN.test(char));
}

function withoutInvisible(text) {
  const chars = Array.from(text);
  const shown = [];
  chars.forEach((char, index) => {
    const before = shown[shown.length - 1];
    if (JOINERS.has(char)) {
      if (canJoin(before) && canJoin(chars[index + 1])) {
        shown.push(char);
      }
    } else if (SELECTOR.test(char)) {
      if (before !== undefined && !SELECTOR.test(before) && !JOINERS.has(before) && !/\s/.test(before)) {
        shown.push(char);
      }
    } else if (!INVISIBLE.test(char) && !DRAWS_NOTHING.has(char)) {
      shown.push(char);
    }
  });
  return shown.join("");
}

/**
 * Text without invisible format characters (bidi overrides and isolates, zero-width spaces, BOM,
 * soft hyphens, tags…), the server's rule (chalicelib/domain/user_text.py) for text it stored
 * before that rule: "Support \u202eecilA\u202c" shows as "Support ecilA", never as "Support Alice".
 * Joiners stay between emoji and in the scripts that need them.
 */
export function visibleText(text) {
  const value = String(text);
  if (!NOT_ASCII.test(value)) {
    return value;
  }
  return value.split(FLAG).map((part, index) => (index % 2 ? part : withoutInvisible(part))).join("");
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  node.append(...children.map((child) => (typeof child === "string" ? visibleText(child) : child)));
  return node;
}

/** Adds a stylesheet to the page once; resolves when it has loaded (or failed: the page goes on). */
export function loadStylesheet(href) {
  if (document.querySelector(`link[rel="stylesheet"][href="${href}"]`)) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const link = element("link", { rel: "stylesheet", href });
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", resolve, { once: true });
    document.head.append(link);
  });
}

/** Hands a file fetched with the bearer token (a plain link could not send it) to the browser
 * as a download: a hidden link to an object URL, clicked, and the URL let go a minute later. */
export function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const anchor = element("a", { href: url, download: filename, hidden: "" });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
