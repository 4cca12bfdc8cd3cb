"""The payer's side of the local PayPal sandbox: the approval page an order's `approve` (or
`payer-action`) link opens, `GET /checkoutnow?token=ORDER_ID`.

It shows the merchant's brand, the amount and description, the items and the amount's breakdown
when the order lists them, and the sandbox buyer who pays, with one plain HTML form (no script)
that posts back to `/checkoutnow` with one of two buttons: "Approve and pay" (`action=approve`)
approves the order and sends the browser back to the order's `return_url` with
`?token=ORDER_ID&PayerID=...` (303); "Cancel and return" (`action=cancel`) leaves the order as it
is and sends the browser to `cancel_url` with `?token=ORDER_ID`. An order that ships to the
payer's pick (GET_FROM_FILE) has a "Ship to" part in the form, filled in with the buyer's address
(or the merchant's), which the payer may change: "Approve and pay" alone ships there. A form
posted without those fields ships to the default; one with an address PayPal would refuse shows
the page again saying why. The page
carries a strict Content-Security-Policy whose `form-action` admits the sandbox and the return and
cancel origins (browsers apply it to the redirect after a form post). The form holds a token tied
to the order, so another site cannot approve an order by posting the form itself.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from infra.local.paypal_core import SandboxRequest, SandboxResponse
from infra.local.paypal_money import display, parse_value
from infra.local.paypal_orders import ADDRESS_PARTS, AMOUNT_PARTS, MAX_FULL_NAME, AddressProblem, shipping_address

if TYPE_CHECKING:
    from infra.local.paypal_sandbox import PayPalSandbox

STYLE = """
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; min-height: 100vh; background: #f5f7fa; color: #1a1f36; display: flex;
       align-items: flex-start; justify-content: center; }
main { background: #fff; width: min(420px, 100% - 2rem); margin: 3rem 1rem; padding: 2rem;
       border-radius: 12px; box-shadow: 0 2px 12px rgba(0, 0, 0, .08); }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; letter-spacing: .04em;
         text-transform: uppercase; color: #7a4b00; background: #fff3cd; border-radius: 999px;
         padding: .2rem .7rem; }
.wallet { font-weight: 800; font-style: italic; font-size: 1.6rem; color: #003087; margin: 1rem 0 0; }
.wallet span { color: #0070e0; }
h1 { font-size: 1.05rem; font-weight: 600; margin: 1.5rem 0 .25rem; }
.amount { font-size: 2.2rem; font-weight: 700; margin: .25rem 0; }
.description { color: #4f566b; margin: 0 0 1.5rem; overflow-wrap: anywhere; }
.buyer { border: 1px solid #e3e8ee; border-radius: 8px; padding: .9rem 1rem; margin-bottom: 1.5rem; }
.buyer p { margin: 0; }
.buyer .label { color: #697386; font-size: .85rem; }
.buyer .email { overflow-wrap: anywhere; }
.buyer .funding { color: #697386; font-size: .85rem; margin-top: .4rem; }
form { margin: 0; display: grid; gap: .75rem; }
button { width: 100%; font: inherit; font-weight: 600; font-size: 1rem; padding: .85rem; border-radius: 999px;
         cursor: pointer; }
.approve { background: #0070e0; color: #fff; border: 0; }
.approve:hover, .approve:focus-visible { background: #003087; }
.cancel { background: #fff; color: #0070e0; border: 1px solid #0070e0; }
.cancel:hover, .cancel:focus-visible { background: #eef5ff; }
button:focus-visible { outline: 3px solid #99c5ff; outline-offset: 2px; }
.note { color: #697386; font-size: .8rem; text-align: center; margin: 1rem 0 0; }
a { color: #0070e0; }
.items { margin: 0 0 1.5rem; }
.items ul { list-style: none; margin: 0; padding: 0; }
.items li, .breakdown div { display: flex; gap: .75rem; align-items: baseline; padding: .35rem 0; }
.items li { border-bottom: 1px solid #e3e8ee; }
.item-name { flex: 1; overflow-wrap: anywhere; }
.item-quantity, .breakdown dt { color: #697386; font-size: .9rem; }
.breakdown { margin: .5rem 0 0; }
.breakdown dt { flex: 1; }
.breakdown dd { margin: 0; }
fieldset { border: 1px solid #e3e8ee; border-radius: 8px; padding: .9rem 1rem; margin: 0; display: grid;
           gap: .6rem; }
legend { font-weight: 600; padding: 0 .3rem; }
label { display: grid; gap: .2rem; color: #4f566b; font-size: .85rem; }
input { font: inherit; font-size: 1rem; color: #1a1f36; padding: .5rem .6rem; border: 1px solid #c1c9d2;
        border-radius: 6px; }
input:focus-visible { outline: 3px solid #99c5ff; outline-offset: 1px; }
.problem { color: #b3093c; margin: 0; }
.ship-to { border: 1px solid #e3e8ee; border-radius: 8px; padding: .9rem 1rem; margin-bottom: 1.5rem; }
.ship-to p { margin: 0; }
.ship-to .label { color: #697386; font-size: .85rem; }
"""
# The "Ship to" fields: (form field, address part, label, autocomplete token, required by the page).
SHIP_FIELDS = (
    ("ship_full_name", "full_name", "Full name", "shipping name", True),
    ("ship_address_line_1", "address_line_1", "Street address", "shipping address-line1", True),
    ("ship_address_line_2", "address_line_2", "Apartment, suite (optional)", "shipping address-line2", False),
    ("ship_admin_area_2", "admin_area_2", "City", "shipping address-level2", False),
    ("ship_admin_area_1", "admin_area_1", "State or province", "shipping address-level1", False),
    ("ship_postal_code", "postal_code", "Postal code", "shipping postal-code", False),
    ("ship_country_code", "country_code", "Country code", "shipping country", True),
)
_LIMITS = {"full_name": MAX_FULL_NAME, **dict(ADDRESS_PARTS)}
BREAKDOWN_LABELS = {"item_total": "Items", "shipping": "Shipping", "handling": "Handling", "tax_total": "Tax",
                    "insurance": "Insurance", "shipping_discount": "Shipping discount", "discount": "Discount"}
assert tuple(BREAKDOWN_LABELS) == AMOUNT_PARTS
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


def with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` appended to its query string (kept as it was), before any fragment."""
    parts = urlsplit(url)
    extra = urlencode(params)
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


class CheckoutPage:
    """`GET /checkoutnow?token=ID` (the page) and `POST /checkoutnow` (its form)."""

    def __init__(self, sandbox: "PayPalSandbox") -> None:
        self.sandbox = sandbox
        self._key = hashlib.sha256(b"checkoutnow|" + sandbox.client_secret.encode()).digest()

    def register(self, router: Any) -> None:
        router.add("GET", "/checkoutnow", self.show, authenticated=False)
        router.add("POST", "/checkoutnow", self.submit, authenticated=False)

    def form_token(self, order_id: str) -> str:
        return hmac.new(self._key, order_id.encode(), hashlib.sha256).hexdigest()[:32]

    # -- handlers --------------------------------------------------------------------------
    def show(self, request: SandboxRequest) -> SandboxResponse:
        order_id = request.query_value("token") or ""
        order, problem = self._open_order(order_id)
        if problem:
            return problem
        return self._page(200, self._approval_html(order), order)

    def submit(self, request: SandboxRequest) -> SandboxResponse:
        """The form: `action=approve` or `action=cancel`, with the order's `token` and `csrf`."""
        order_id, problem = self._posted(request)
        if problem:
            return problem
        form = request.form()
        action = form.get("action")
        if action == "approve":
            return self._approve(order_id, form)
        if action == "cancel":
            return self._cancel(order_id)
        return self._message(400, "Choose how to go on", "Approve the payment or cancel it.")

    def _approve(self, order_id: str, form: dict[str, str]) -> SandboxResponse:
        shipping = None
        if any(name in form for name, *_ in SHIP_FIELDS):
            order, _ = self._open_order(order_id)
            if order is not None and self.sandbox.checkout.picks_address(order):
                entered = {part: form.get(name, "") for name, part, *_ in SHIP_FIELDS}
                try:
                    shipping = shipping_address(entered.pop("full_name"), entered)
                except AddressProblem as problem:
                    entered["full_name"] = form.get("ship_full_name", "")
                    return self._page(400, self._approval_html(order, entered=entered, problem=problem), order)
        try:
            order, _ = self.sandbox.checkout.approve(order_id, shipping)
        except LookupError as gone:
            return self._gone(str(gone))
        except ValueError:
            return self._message(409, "This payment is already complete",
                                 "The order was paid already; nothing more to do here.")
        return_url = order["experience"].get("return_url")
        if not return_url:
            return self._message(200, "Payment approved",
                                 "You approved the payment. You can close this window and go back to "
                                 f"{self._brand(order)}.")
        target = with_query(return_url, {"token": order_id, "PayerID": order["payer"]["payer_id"]})
        return SandboxResponse(303, b"", {"Location": target, "Cache-Control": "no-store"}, "text/plain")

    def _cancel(self, order_id: str) -> SandboxResponse:
        with self.sandbox.state.lock:
            order = self.sandbox.state.orders.get(order_id)
            cancel_url = order["experience"].get("cancel_url") if order else None
        if not cancel_url:
            return self._message(200, "Payment cancelled",
                                 "Nothing was paid. You can close this window.")
        target = with_query(cancel_url, {"token": order_id})
        return SandboxResponse(303, b"", {"Location": target, "Cache-Control": "no-store"}, "text/plain")

    # -- the checks ------------------------------------------------------------------------
    def _open_order(self, order_id: str) -> tuple[dict | None, SandboxResponse | None]:
        """The order the page can approve, or the page that says why not."""
        with self.sandbox.state.lock:
            order = self.sandbox.state.orders.get(order_id) if order_id else None
            if order is None:
                return None, self._gone("unknown")
            if self.sandbox.checkout.expired(order):
                return None, self._gone("expired")
            if order["status"] == "APPROVED":
                return None, self._message(409, "You already approved this payment",
                                           f"{self._brand(order)} will finish it. You can close this window.")
            if order["status"] not in ("CREATED", "PAYER_ACTION_REQUIRED"):
                return None, self._message(409, "This payment is already complete",
                                           "The order was paid already; nothing more to do here.")
            return dict(order), None

    def _posted(self, request: SandboxRequest) -> tuple[str, SandboxResponse | None]:
        form = request.form()
        order_id = form.get("token", "")
        if not order_id or not hmac.compare_digest(form.get("csrf", ""), self.form_token(order_id)):
            return order_id, self._message(400, "This page has expired",
                                           "Go back to the merchant and start the payment again.")
        return order_id, None

    def _gone(self, why: str) -> SandboxResponse:
        if why == "expired":
            return self._message(410, "This payment has expired",
                                 "Too much time passed before it was approved. Go back to the merchant "
                                 "and start the payment again.")
        return self._message(404, "We can't find this payment",
                             "The link is wrong or the payment no longer exists. Go back to the merchant "
                             "and start again.")

    # -- HTML ------------------------------------------------------------------------------
    def _brand(self, order: dict) -> str:
        return order["experience"].get("brand_name") or self.sandbox.merchant.name

    def _items_html(self, order: dict) -> str:
        """The items of the order and the breakdown of its amount, when it lists them."""
        units = order["purchase_units"]
        if not any(unit.get("items") for unit in units):
            return ""
        lines = []
        for unit in units:
            for item in unit.get("items", ()):
                price = parse_value(item["unit_amount"]["value"], unit["currency"], field="unit_amount")
                amount = display(price * int(item["quantity"]), unit["currency"])
                lines.append(f'<li><span class="item-name">{escape(item["name"])}</span>'
                             f'<span class="item-quantity">&times; {escape(item["quantity"])}</span>'
                             f'<span class="item-amount">{escape(amount)}</span></li>')
        parts = []
        if len(units) == 1:
            breakdown = units[0]["amount"].get("breakdown") or {}
            for name, label in BREAKDOWN_LABELS.items():
                if name in breakdown:
                    shown = display(parse_value(breakdown[name]["value"], units[0]["currency"], field=name),
                                    units[0]["currency"])
                    minus = "&minus;" if "discount" in name else ""
                    parts.append(f"<div><dt>{label}</dt><dd>{minus}{escape(shown)}</dd></div>")
        summary = f'<dl class="breakdown">{"".join(parts)}</dl>' if parts else ""
        return f'<section class="items" aria-label="Items"><ul>{"".join(lines)}</ul>{summary}</section>'

    def _ship_fields_html(self, order: dict, entered: dict[str, str] | None,
                          problem: AddressProblem | None) -> str:
        """For an order that ships to the payer's pick (GET_FROM_FILE): the address fields,
        filled in with what was entered, else the default address; nothing for other orders."""
        if not self.sandbox.checkout.picks_address(order):
            return ""
        if entered is None:
            default = self.sandbox.checkout.default_shipping(order)
            entered = {"full_name": default["name"]["full_name"], **default["address"]}
        fields = []
        for name, part, label, autocomplete, required in SHIP_FIELDS:
            invalid = ' aria-invalid="true"' if problem is not None and problem.part == part else ""
            fields.append(f'<label>{label}<input type="text" name="{name}" value="{escape(entered.get(part, ""))}" '
                          f'autocomplete="{autocomplete}" maxlength="{_LIMITS[part]}"'
                          f'{" required" if required else ""}{invalid}></label>')
        alert = f'<p class="problem" role="alert">{escape(problem.words)}</p>' if problem else ""
        return f'<fieldset><legend>Ship to</legend>{alert}{"".join(fields)}</fieldset>'

    def _ship_to_html(self, order: dict) -> str:
        """For an order that ships where the merchant said (SET_PROVIDED_ADDRESS): that address."""
        shipping = order["purchase_units"][0].get("shipping")
        if self.sandbox.checkout.shipping_preference(order) == "SET_PROVIDED_ADDRESS" and shipping:
            address = shipping["address"]
            lines = [shipping.get("name", {}).get("full_name"), address.get("address_line_1"),
                     address.get("address_line_2"),
                     " ".join(filter(None, (address.get("admin_area_2"), address.get("admin_area_1"),
                                            address.get("postal_code")))),
                     address.get("country_code")]
            text = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
            return f'<section class="ship-to" aria-label="Ship to"><p class="label">Ship to</p>{text}</section>'
        return ""

    def _approval_html(self, order: dict, *, entered: dict[str, str] | None = None,
                       problem: AddressProblem | None = None) -> str:
        unit = order["purchase_units"][0]
        total = sum(u["total"] for u in order["purchase_units"])
        description = unit.get("description") or (f"{len(order['purchase_units'])} purchases"
                                                  if len(order["purchase_units"]) > 1 else "")
        buyer = self.sandbox.buyer
        token = escape(order["id"])
        csrf = escape(self.form_token(order["id"]))
        hidden = (f'<input type="hidden" name="token" value="{token}">'
                  f'<input type="hidden" name="csrf" value="{csrf}">')
        return f"""
<p class="badge">Sandbox &middot; no real money moves</p>
<p class="wallet" aria-hidden="true">Pay<span>Pal</span></p>
<h1>Pay {escape(self._brand(order))}</h1>
<p class="amount">{escape(display(total, unit["currency"]))}</p>
<p class="description">{escape(description)}</p>
{self._items_html(order)}
<section class="buyer" aria-label="Paying as">
  <p class="label">Paying as</p>
  <p><strong>{escape(buyer.full_name)}</strong></p>
  <p class="email">{escape(buyer.email)}</p>
  <p class="funding">PayPal balance</p>
</section>
{self._ship_to_html(order)}
<form method="post" action="/checkoutnow">{hidden}
  {self._ship_fields_html(order, entered, problem)}
  <button type="submit" name="action" value="approve" class="approve">Approve and pay</button>
  <button type="submit" name="action" value="cancel" class="cancel" formnovalidate>Cancel and return</button>
</form>
<p class="note">Order {token}</p>
"""

    def _message(self, status: int, title: str, text: str) -> SandboxResponse:
        body = f"""
<p class="badge">Sandbox &middot; no real money moves</p>
<p class="wallet" aria-hidden="true">Pay<span>Pal</span></p>
<h1>{escape(title)}</h1>
<p class="description">{escape(text)}</p>
"""
        return self._page(status, body, None, title=title)

    def _page(self, status: int, main: str, order: dict | None, *, title: str | None = None) -> SandboxResponse:
        heading = title or f"Pay {self._brand(order)} with PayPal" if order else title
        html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{escape(heading or "PayPal sandbox")} &middot; PayPal sandbox</title>
<style>{STYLE}</style>
</head>
<body>
<main>{main}</main>
</body>
</html>
"""
        targets = ["'self'"]
        if order is not None:
            for url in (order["experience"].get("return_url"), order["experience"].get("cancel_url")):
                origin = _origin(url)
                if origin and origin not in targets:
                    targets.append(origin)
        csp = (f"default-src 'none'; style-src '{STYLE_HASH}'; form-action {' '.join(targets)}; "
               "frame-ancestors 'none'; base-uri 'none'")
        headers = {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
                   "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
        return SandboxResponse(status, html, headers, "text/html; charset=utf-8")
