/** Home page: the header, and a become-a-helper call to action that knows who is signed in. */

import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";

mountFooter();
const user = await mountHeader();

if (user) {
  const invite = document.querySelector("[data-helper-invite]");
  const signedIn = document.querySelector("[data-helper-signed-in]");
  if (invite && signedIn) {
    invite.hidden = true;
    signedIn.hidden = false;
  }
}
