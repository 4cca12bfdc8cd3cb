/** A Helper's blog, rendered by the server (chalicelib/api/blog_html.py): the list
 * (`/h/<username>/blog`) and a post (`/h/<username>/blog/<slug>`). Header and footer everywhere;
 * on a post, the Report form (`[data-report]`, js/reports.js: a signed-in reader sends a reason
 * and a note to ops, once; a visitor signs in first) and the polls placed in the post
 * (`.poll-slot[data-poll]`, filled by js/polls.js on first sight).
 *
 * Markup it reads: `[data-blog]` with `data-author` (the username) and `data-author-id`. */

import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";
import { wireReportBox } from "../reports.js";

mountHeader();
mountFooter();

const blog = document.querySelector("[data-blog]");
if (blog) {
  const username = blog.getAttribute("data-author");
  const authorId = blog.getAttribute("data-author-id");
  const report = blog.querySelector("[data-report]");
  if (report) {
    wireReportBox(report);
  }
  const slots = [...blog.querySelectorAll(".poll-slot[data-poll]")];
  if (slots.length) {
    mountPlacedPolls(slots, { username, authorId });
  }
}

/** Each placed poll, loaded when it comes near the screen (js/polls.js and its styles too). */
function mountPlacedPolls(slots, { username, authorId }) {
  const mount = async (slot) => {
    const { mountPoll } = await import("../polls.js");
    mountPoll(slot, { username, pollId: slot.getAttribute("data-poll"), helperId: authorId });
  };
  if (!("IntersectionObserver" in window)) {
    slots.forEach(mount);
    return;
  }
  const watcher = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        watcher.unobserve(entry.target);
        mount(entry.target);
      }
    }
  }, { rootMargin: "400px 0px" });
  slots.forEach((slot) => watcher.observe(slot));
}
