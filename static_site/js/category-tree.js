/** The category tree from `GET /categories` (a flat list, parents before their children). */

/** `[{parent, children}]` in display order. A child whose parent is missing is shown as a
 * group of its own rather than lost. */
export function groupCategories(categories) {
  const groups = new Map();
  for (const category of categories) {
    if (!category.parent) {
      groups.set(category.slug, { parent: category, children: [] });
    }
  }
  for (const category of categories) {
    if (category.parent) {
      const group = groups.get(category.parent);
      if (group) {
        group.children.push(category);
      } else {
        groups.set(category.slug, { parent: category, children: [] });
      }
    }
  }
  return [...groups.values()];
}

/** slug → category. */
export function bySlug(categories) {
  return new Map(categories.map((category) => [category.slug, category]));
}
