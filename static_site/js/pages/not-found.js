/** The 404 page: the site's header (with search) and footer around the way back. */

import { mountFooter } from "../footer.js";
import { mountHeader } from "../header.js";

mountHeader();
mountFooter();
