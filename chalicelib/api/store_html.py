"""Server-rendered HTML of the store: a Helper's store (`/h/<username>/store`), a product page
(`/h/<username>/store/<slug>`) and the Marketplace (`/marketplace`), shareable and fast like the
Helper's page, with schema.org `Product`/`Offer` data.

Every value is escaped by Jinja's autoescape; only `description_html` (sanitized by
domain.rich_text when the product was saved) is inserted as HTML, and the JSON-LD is serialized by
page_html.json_ld. No inline script or style: the pages work under the site's strict CSP. The page
script (/js/pages/store.js) fills the header and footer and runs the cart."""
from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import quote, urlencode

from chalicelib.api.page_html import DEFAULT_OG_IMAGE, SITE_NAME, format_money, json_ld, render
from chalicelib.domain.store import PICTURE_CARD, PICTURE_FULL, Product, ProductKind, ShippingRule, card_picture
from chalicelib.domain.user_text import visible_text

PAGE_SCRIPT = "/js/pages/store.js"
DESCRIPTION_MAX = 200


def _store_url(site_url: str, username: str) -> str:
    return f"{site_url}/h/{quote(username, safe='')}/store"


def _card(product: Product, *, username: str, seller_name: str | None = None) -> dict[str, Any]:
    return {
        "title": visible_text(product.title), "summary": visible_text(product.summary),
        "href": f"/h/{quote(username, safe='')}/store/{product.slug}",
        "image": f"/{card_picture(product.images[0])}" if product.images else None,
        "price": _price_from(product), "kind": product.kind.value, "sold_out": product.sold_out,
        "seller_name": seller_name, "seller_href": f"/h/{quote(username, safe='')}/store" if seller_name else None,
    }


def _picture(key: str) -> dict[str, str | None]:
    """A product picture at both its sizes: the browser picks by the width it is drawn at."""
    full, card = f"/{key}", f"/{card_picture(key)}"
    return {"full": full, "card": card,
            "srcset": f"{card} {PICTURE_CARD}w, {full} {PICTURE_FULL}w" if card != full else None}


def _price_from(product: Product) -> str:
    prices = {v.price_cents for v in product.variants}
    low = min(prices)
    text = "Free" if low == 0 else format_money(low)
    return f"From {text}" if len(prices) > 1 else text


def shipping_text(rule: ShippingRule | None) -> str | None:
    if rule is None:
        return None
    cost = "Free shipping" if rule.flat_cents == 0 else f"Shipping {format_money(rule.flat_cents)} per order"
    if rule.flat_cents and rule.free_from_cents is not None:
        cost += f", free from {format_money(rule.free_from_cents)}"
    countries = ", ".join(rule.countries[:8]) + (" and more" if len(rule.countries) > 8 else "")
    return f"{cost}. Ships to {countries}."


def _seller(page: Any, site_url: str) -> dict[str, Any]:
    name = visible_text(page.display_name).strip() or page.username
    return {"user_id": page.user_id, "username": page.username, "name": name,
            "page_href": f"/h/{quote(page.username, safe='')}",
            "store_href": f"/h/{quote(page.username, safe='')}/store",
            "avatar": f"/{page.avatar_key}" if page.avatar_key else None,
            "initials": "".join(w[0] for w in name.split() if w[:1].isalnum())[:2].upper() or "?"}


def render_store(*, page: Any, products: Iterable[Product], next_cursor: str | None, shipping: ShippingRule | None,
                 site_url: str) -> str:
    site_url = site_url.rstrip("/")
    seller = _seller(page, site_url)
    url = _store_url(site_url, page.username)
    cards = [_card(p, username=page.username) for p in products]
    description = f"Digital and physical goods from {seller['name']} on {SITE_NAME}."
    data = {"@context": "https://schema.org", "@type": "ItemList", "name": f"{seller['name']}'s store", "url": url,
            "itemListElement": [{"@type": "ListItem", "position": i + 1, "url": site_url + card["href"],
                                 "name": card["title"]} for i, card in enumerate(cards)]}
    return render("store_page.html", page_script=PAGE_SCRIPT, site_url=site_url, page_url=url, seller=seller,
                  products=cards, description=description, structured_data=json_ld(data),
                  og_image=site_url + (seller["avatar"] or DEFAULT_OG_IMAGE), accepts_payments=shipping is not None,
                  shipping=shipping_text(shipping),
                  next_href=f"{url}?{urlencode({'cursor': next_cursor})}" if next_cursor else None)


def render_product(*, page: Any, product: Product, shipping: ShippingRule | None, site_url: str,
                   currency: str, download_limit: int = 5) -> str:
    site_url = site_url.rstrip("/")
    seller = _seller(page, site_url)
    url = f"{_store_url(site_url, page.username)}/{product.slug}"
    title = visible_text(product.title)
    summary = visible_text(product.summary)[:DESCRIPTION_MAX] or f"{title} from {seller['name']}'s store."
    images = [_picture(key) for key in product.images]
    variants = [{"variant_id": v.variant_id, "name": visible_text(v.name) or "Standard", "sku": v.sku,
                 "price_cents": v.price_cents, "price": "Free" if v.price_cents == 0 else format_money(v.price_cents),
                 "stock": v.stock, "sold_out": v.stock == 0,
                 "stock_text": None if v.stock is None else ("Sold out" if v.stock == 0 else
                                                            f"{v.stock} left" if v.stock <= 10 else None)}
                for v in product.variants]
    offers = [{"@type": "Offer", "price": f"{v['price_cents'] // 100}.{v['price_cents'] % 100:02d}",
               "priceCurrency": currency, "sku": v["sku"] or None, "name": v["name"], "url": url,
               "availability": "https://schema.org/OutOfStock" if v["sold_out"] else "https://schema.org/InStock",
               "seller": {"@type": "Person", "name": seller["name"], "url": site_url + seller["page_href"]}}
              for v in variants]
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product", "name": title, "url": url,
                            "description": summary, "offers": [{k: v for k, v in o.items() if v is not None}
                                                               for o in offers]}
    if images:
        data["image"] = [site_url + image["full"] for image in images]
    return render("product_page.html", page_script=PAGE_SCRIPT, site_url=site_url, page_url=url, seller=seller,
                  product={"slug": product.slug, "title": title, "kind": product.kind.value,
                           "report_id": f"{product.seller_id}/{product.slug}",
                           "description_html": product.description_html, "images": images,
                           "digital": product.kind is ProductKind.DIGITAL,
                           "files": [{"name": f.name, "size": _size(f.size)} for f in product.files],
                           "sold_out": product.sold_out, "status": product.status.value},
                  variants=variants, description=summary, structured_data=json_ld(data),
                  og_image=site_url + (images[0]["full"] if images else seller["avatar"] or DEFAULT_OG_IMAGE),
                  shipping=shipping_text(shipping) if product.kind is ProductKind.PHYSICAL else None,
                  accepts_payments=shipping is not None, download_limit=download_limit)


def render_marketplace(*, products: Iterable[tuple[Product, Any]], categories: list[dict], category: str | None,
                       query: str | None, next_cursor: str | None, site_url: str) -> str:
    site_url = site_url.rstrip("/")
    cards = [_card(product, username=page.username, seller_name=visible_text(page.display_name) or page.username)
             for product, page in products]
    params = {k: v for k, v in (("category", category), ("q", query)) if v}
    url = f"{site_url}/marketplace" + (f"?{urlencode(params)}" if params else "")
    chosen = next((c for c in categories if c["slug"] == category), None)
    heading = f"{chosen['name']} in the Marketplace" if chosen else "Marketplace"
    return render("marketplace.html", page_script=PAGE_SCRIPT, site_url=site_url, page_url=url, products=cards,
                  categories=[{**c, "href": f"/marketplace?{urlencode({'category': c['slug']})}",
                               "current": c["slug"] == category} for c in categories],
                  heading=heading, query=query or "", category=category or "",
                  description="Guides, templates, tools and goods sold by the Helpers of interKanect.",
                  og_image=site_url + DEFAULT_OG_IMAGE,
                  next_href=f"/marketplace?{urlencode({**params, 'cursor': next_cursor})}" if next_cursor else None)


def _size(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"
