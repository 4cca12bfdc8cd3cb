/** My Store: the trip to storage. A picture or a file goes straight to S3 as the form its
 * presigned POST describes (every field, then the file, last: S3 ignores fields after it), and
 * S3 sends the browser back to `/my-store.html?product=<slug>&key=…`, where the server checks
 * what arrived. A form navigation, as the avatar's (js/pages/my-page/photo.js): the site's CSP
 * lets forms post to the buckets (`form-action`) but lets scripts talk to this origin only
 * (`connect-src`), so a fetch to S3 would be refused. */

import { element } from "../../dom.js";

/** Posts `file` to `url` with `fields`; the page leaves, and comes back when S3 is done.
 * `input` is the file input it was chosen in (sent itself where DataTransfer is missing). */
export function postToStorage({ url, fields }, file, input) {
  const upload = element("form", { method: "post", enctype: "multipart/form-data", action: url,
    class: "visually-hidden", "aria-hidden": "true" });
  for (const [name, value] of Object.entries(fields || {})) {
    upload.append(element("input", { type: "hidden", name, value: String(value) }));
  }
  const carrier = element("input", { type: "file", name: "file" });
  try {
    const transfer = new DataTransfer();
    transfer.items.add(file);
    carrier.files = transfer.files;
    upload.append(carrier);
  } catch {
    input.name = "file";
    upload.append(input);
  }
  document.body.append(upload);
  upload.submit();
}

/** Calls `onBlocked` when the browser refuses to post a form to storage (a CSP without the
 * bucket in `form-action`): the page stays, unchanged. */
export function onUploadBlocked(onBlocked) {
  document.addEventListener("securitypolicyviolation", (event) => {
    if (event.violatedDirective === "form-action") {
      onBlocked();
    }
  });
}
