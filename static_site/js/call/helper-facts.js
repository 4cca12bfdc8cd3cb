/** The public facts of a Helper's page (name, username, user id, address), read from its HTML
 * (there is no JSON route for them); null when the page cannot be read. */
export async function helperFacts(username) {
  try {
    const response = await fetch(`/h/${encodeURIComponent(username)}`, {
      headers: { Accept: "text/html" }, credentials: "same-origin",
    });
    if (!response.ok) {
      return null;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const main = page.querySelector("[data-helper-page]");
    const name = page.querySelector("#helper-name");
    return {
      display_name: name ? name.textContent.trim() : username,
      username: (main && main.dataset.username) || username,
      user_id: (main && main.dataset.userId) || null,
      page_url: new URL(response.url).pathname,
    };
  } catch {
    return null;
  }
}
