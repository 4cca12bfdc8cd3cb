"""Routes of the store: the seller's catalogue, shipping and order queue, the public store and
Marketplace (JSON; the pages themselves are server-rendered in api/store_pages.py), checkout,
the buyer's library and downloads."""
from __future__ import annotations


from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, limit_param, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.clock import now_seconds, utc_today

service = on_first_use("chalicelib.services.store")
paying = on_first_use("chalicelib.services.payments")

blueprint = Blueprint(__name__)



def _user_id() -> str:
    return principal_of(blueprint.current_request).user_id


def _params() -> dict:
    return blueprint.current_request.query_params or {}


def _page(items: list, after: dict | None, *, scope: str, key: str) -> dict:
    return {key: items, "next_cursor": deps.cursor_seal().seal(after, scope=scope)}


def _after(scope: str) -> dict | None:
    return deps.cursor_seal().open(_params().get("cursor"), scope=scope)


def _limit(default: int = 24) -> int:
    from chalicelib.domain.errors import InvalidInput

    limit = limit_param(blueprint.current_request, default)
    if not 1 <= limit <= 100:
        raise InvalidInput("limit is from 1 to 100.", field="limit")
    return limit


def _product(product) -> dict:
    return {"product": service.product_view(product, owner=True)}


# -- the seller's catalogue -----------------------------------------------------------------

@blueprint.route("/me/products", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_products():
    seller_id = _user_id()
    scope = f"my-products:{seller_id}"
    products, after = service.list_my_products(seller_id=seller_id, desk=deps.store_desk(), after=_after(scope),
                                               limit=_limit(100))
    return json_response(_page([service.product_view(p, owner=True) for p in products], after, scope=scope,
                               key="products"))


@blueprint.route("/me/products", methods=["POST"], authorizer=cognito_user)
@handles_errors
def create_product():
    body = parse_body(blueprint.current_request.raw_body, "ProductBody")
    product = service.create_product(seller_id=_user_id(), fields=body.model_dump(exclude_none=True),
                                     desk=deps.store_desk(), now=now_seconds())
    return json_response(_product(product), 201)


@blueprint.route("/me/products/{slug}", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_product(slug):
    return json_response(_product(service.my_product(seller_id=_user_id(), slug=slug, desk=deps.store_desk())))


@blueprint.route("/me/products/{slug}", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def update_product(slug):
    body = parse_body(blueprint.current_request.raw_body, "ProductBody")
    fields = body.model_dump(exclude_none=True)
    fields.pop("slug", None)
    return json_response(_product(service.update_product(seller_id=_user_id(), slug=slug, fields=fields,
                                                         desk=deps.store_desk(), now=now_seconds())))


@blueprint.route("/me/products/{slug}/image-upload", methods=["POST"], authorizer=cognito_user)
@handles_errors
def image_upload(slug):
    body = parse_body(blueprint.current_request.raw_body, "AvatarUploadBody")
    return json_response(service.request_image_upload(seller_id=_user_id(), slug=slug,
                                                      content_type=body.content_type, desk=deps.store_desk()))


@blueprint.route("/me/products/{slug}/images", methods=["POST"], authorizer=cognito_user)
@handles_errors
def add_image(slug):
    body = parse_body(blueprint.current_request.raw_body, "AvatarBody")
    return json_response(_product(service.add_image(seller_id=_user_id(), slug=slug, key=body.key,
                                                    desk=deps.store_desk(), now=now_seconds())))


@blueprint.route("/me/products/{slug}/images", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def set_images(slug):
    body = parse_body(blueprint.current_request.raw_body, "ImagesBody")
    return json_response(_product(service.set_images(seller_id=_user_id(), slug=slug, keys=body.keys,
                                                     desk=deps.store_desk(), now=now_seconds())))


@blueprint.route("/me/products/{slug}/file-upload", methods=["POST"], authorizer=cognito_user)
@handles_errors
def file_upload(slug):
    body = parse_body(blueprint.current_request.raw_body, "FileUploadBody")
    return json_response(service.request_file_upload(seller_id=_user_id(), slug=slug, content_type=body.content_type,
                                                     size=body.size, desk=deps.store_desk()))


@blueprint.route("/me/products/{slug}/files", methods=["POST"], authorizer=cognito_user)
@handles_errors
def add_file(slug):
    body = parse_body(blueprint.current_request.raw_body, "FileBody")
    return json_response(_product(service.add_file(seller_id=_user_id(), slug=slug, file_id=body.file_id,
                                                   name=body.name, desk=deps.store_desk(), now=now_seconds())))


@blueprint.route("/me/products/{slug}/files/{file_id}", methods=["DELETE"], authorizer=cognito_user)
@handles_errors
def remove_file(slug, file_id):
    return json_response(_product(service.remove_file(seller_id=_user_id(), slug=slug, file_id=file_id,
                                                      desk=deps.store_desk(), now=now_seconds())))


@blueprint.route("/me/store/shipping", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_shipping():
    storefront = deps.storefronts().get(_user_id())
    return json_response({"shipping": service.shipping_view(storefront.shipping) if storefront else None})


@blueprint.route("/me/store/shipping", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def save_shipping():
    body = parse_body(blueprint.current_request.raw_body, "ShippingBody")
    return json_response({"shipping": service.save_shipping(seller_id=_user_id(), fields=body.model_dump(),
                                                            desk=deps.store_desk(), now=now_seconds())})


@blueprint.route("/me/store/orders", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_store_orders():
    seller_id = _user_id()
    state = _params().get("state")
    scope = f"store-orders:{seller_id}:{state or ''}"
    orders, after = service.seller_orders(seller_id=seller_id, desk=deps.store_desk(), state=state,
                                          after=_after(scope), limit=_limit())
    return json_response(_page(orders, after, scope=scope, key="orders"))


@blueprint.route("/orders/{order_id}/shipment", methods=["POST"], authorizer=cognito_user)
@handles_errors
def ship_order(order_id):
    body = parse_body(blueprint.current_request.raw_body, "ShipmentBody")
    order = service.ship(order_id=order_id, seller_id=_user_id(), carrier=body.carrier,
                         tracking_number=body.tracking_number, carrier_name=body.carrier_name or "",
                         desk=deps.store_desk(), now=now_seconds())
    return json_response({"order": service.order_view(order, as_seller=True)})


@blueprint.route("/orders/{order_id}/refunds", methods=["POST"], authorizer=cognito_user)
@handles_errors
def refund_order(order_id):
    body = parse_body(blueprint.current_request.raw_body, "OrderRefundBody")
    order = service.refund_order(order_id=order_id, seller_id=_user_id(), amount_cents=body.amount_cents,
                                 reason=body.reason, desk=deps.store_desk(), now=now_seconds())
    return json_response({"order": service.order_view(order, as_seller=True)})


# -- the public store and the Marketplace -------------------------------------------------------

@blueprint.route("/stores/{username}/products", methods=["GET"])
@handles_errors
def store_products(username):
    scope = f"store:{username.casefold()}"
    found = service.store_page(username=username, desk=deps.store_desk(), after=_after(scope), limit=_limit())
    return json_response({
        "seller": {"username": found.page.username, "display_name": found.page.display_name,
                   "page_url": f"/h/{found.page.username}", "store_url": f"/h/{found.page.username}/store"},
        "accepts_payments": found.shipping is not None,
        "shipping": service.shipping_view(found.shipping) if found.shipping else None,
        **_page([service.product_view(p) for p in found.products], found.after, scope=scope, key="products")})


@blueprint.route("/marketplace/products", methods=["GET"])
@handles_errors
def marketplace_products():
    params = _params()
    category, query = params.get("category") or None, params.get("q") or None
    scope = f"marketplace:{category or ''}:{query or ''}"
    products, after = service.marketplace(desk=deps.store_desk(), category=category, query=query,
                                          after=_after(scope), limit=_limit())
    if products:  # a disqualified seller's products leave the Marketplace (services.standing)
        sellers = deps.helper_pages().get_many({p.seller_id for p in products})
        products = [p for p in products if p.seller_id in sellers and sellers[p.seller_id].disqualified is None]
    return json_response(_page([service.product_view(p) for p in products], after, scope=scope, key="products"))


# -- buying ----------------------------------------------------------------------------------------

@blueprint.route("/checkout", methods=["POST"], authorizer=cognito_user)
@handles_errors
def checkout():
    body = parse_body(blueprint.current_request.raw_body, "CheckoutBody")
    order, payment = service.checkout(buyer_id=_user_id(), seller=body.seller,
                                      lines=[line.model_dump(exclude_none=True) for line in body.lines],
                                      desk=deps.store_desk(), now=now_seconds())
    return json_response({"order": service.order_view(order, as_seller=False),
                          "payment": paying.payment_view(payment) if payment else None}, 201)


@blueprint.route("/me/orders", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_orders():
    buyer_id = _user_id()
    scope = f"library:{buyer_id}"
    orders, after = service.library(buyer_id=buyer_id, desk=deps.store_desk(), now=now_seconds(), after=_after(scope),
                                    limit=_limit())
    return json_response(_page(orders, after, scope=scope, key="orders"))


@blueprint.route("/orders/{order_id}", methods=["GET"], authorizer=cognito_user)
@handles_errors
def get_order(order_id):
    return json_response({"order": service.get_order(order_id=order_id, user_id=_user_id(),
                                                     desk=deps.store_desk())})


@blueprint.route("/orders/{order_id}/delivered", methods=["POST"], authorizer=cognito_user)
@handles_errors
def order_delivered(order_id):
    user_id = _user_id()
    order = service.mark_delivered(order_id=order_id, user_id=user_id, desk=deps.store_desk(), now=now_seconds())
    return json_response({"order": service.order_view(order, as_seller=order.seller_id == user_id)})


@blueprint.route("/orders/{order_id}/files/{slug}/{file_id}/download", methods=["POST"], authorizer=cognito_user)
@handles_errors
def download_file(order_id, slug, file_id):
    """A link to the purchased file that works for minutes; each one counts against the
    purchase's limit. The browser goes to it: the downloads origin (never the site's) passes on S3's
    answer, the file as an attachment, adding `nosniff`."""
    url = service.download(order_id=order_id, buyer_id=_user_id(), slug=slug, file_id=file_id,
                           desk=deps.store_desk())
    return json_response({"url": url, "expires_in": deps.settings().download_link_seconds})


def expire_reservations() -> int:
    """The scheduled job's body (app.py)."""
    return service.expire_reservations(desk=deps.store_desk(), now=now_seconds())


# -- the pages -----------------------------------------------------------------------------------

PUBLIC_PAGE_CACHE = "public, max-age=30"
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": PUBLIC_PAGE_CACHE}


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, headers=HTML_HEADERS)


def _moved(location: str) -> Response:
    return Response("", status_code=301, headers={"Location": location, "Cache-Control": PUBLIC_PAGE_CACHE})


def _not_found(username: str) -> Response:
    from chalicelib.api.page_html import render_not_found

    return _html(render_not_found(username, deps.settings().site_url), 404)


@blueprint.route("/h/{username}/store", methods=["GET"])
def store_page(username):
    """A Helper's store as HTML; an old or differently-cased username moves to the current one."""
    from chalicelib.api.store_html import render_store
    from chalicelib.domain.errors import DomainError

    scope = f"store:{username.casefold()}"
    try:
        found = service.store_page(username=username, desk=deps.store_desk(), after=_after(scope))
    except DomainError:
        return _not_found(username)
    if found.page.username != username:
        return _moved(f"/h/{found.page.username}/store")
    return _html(render_store(page=found.page, products=found.products, shipping=found.shipping,
                              next_cursor=deps.cursor_seal().seal(found.after, scope=scope),
                              site_url=deps.settings().site_url))


@blueprint.route("/h/{username}/store/{slug}", methods=["GET"])
def product_page(username, slug):
    from chalicelib.api.store_html import render_product
    from chalicelib.domain.errors import DomainError

    try:
        page, product, shipping = service.product_page(username=username, slug=slug, desk=deps.store_desk(),
                                                       now=now_seconds())
    except DomainError:
        return _not_found(username)
    if page.username != username:
        return _moved(f"/h/{page.username}/store/{product.slug}")
    settings = deps.settings()
    return _html(render_product(page=page, product=product, shipping=shipping, site_url=settings.site_url,
                                currency=settings.currency, download_limit=settings.download_limit))


@blueprint.route("/marketplace", methods=["GET"])
def marketplace_page():
    from chalicelib.api.store_html import render_marketplace
    from chalicelib.domain.errors import DomainError

    params = _params()
    category, query = params.get("category") or None, (params.get("q") or "").strip()[:200] or None
    scope = f"marketplace:{category or ''}:{query or ''}"
    try:
        products, after = service.marketplace(desk=deps.store_desk(), category=category, query=query,
                                              after=_after(scope))
    except DomainError:  # a stale or hand-made cursor: the first page
        products, after = service.marketplace(desk=deps.store_desk(), category=category, query=query)
    sellers = deps.helper_pages().get_many({p.seller_id for p in products})
    categories = [{"slug": c.slug, "name": c.name} for c in deps.categories().all() if c.parent is None]
    sellers = {user_id: page for user_id, page in sellers.items() if page.disqualified is None}  # services.standing
    return _html(render_marketplace(products=[(p, sellers[p.seller_id]) for p in products if p.seller_id in sellers],
                                    categories=categories, category=category, query=query,
                                    next_cursor=deps.cursor_seal().seal(after, scope=scope),
                                    site_url=deps.settings().site_url))


# -- the seller's Sales page ---------------------------------------------------------------------

def _report():
    from chalicelib.services.sales import sales_report

    params = _params()
    return sales_report(seller_id=_user_id(), first=params.get("from"), last=params.get("to"), by=params.get("by"),
                        desk=deps.store_desk(), today=utc_today())


@blueprint.route("/me/store/sales", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_sales():
    return json_response(_report())


def _csv(text: str, name: str) -> Response:
    return Response(text, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{name}"'})


@blueprint.route("/me/store/sales/report.csv", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_sales_csv():
    from chalicelib.services.sales import report_csv

    found = _report()
    return _csv(report_csv(found), f"interkanect-sales-{found['from']}-{found['to']}.csv")


@blueprint.route("/me/store/sales/orders.csv", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_orders_csv():
    from chalicelib.services.sales import orders_csv

    params = _params()
    return _csv(orders_csv(seller_id=_user_id(), first=params.get("from"), last=params.get("to"),
                           desk=deps.store_desk(), today=utc_today()), "interkanect-orders.csv")
