"""The store end to end on the in-memory twins: a Helper lists goods, a customer checks out
through PayPal (the twin), the stock is held and given back, the paid order reaches the buyer's
library and the seller's queue, files download within their limit, and physical orders ship with
a tracking number."""
from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.adapters.store import InMemoryOrderStore, InMemoryProductSearch, InMemoryProductStore, InMemorySalesBook
from chalicelib.adapters.uploads import InMemoryUploadStorage
from chalicelib.domain import ledger as books
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.fees import PaymentKind
from chalicelib.domain.payments import PaymentClosed, PaymentState, Storefront
from chalicelib.domain.store import (
    CartChanged,
    DownloadLimitReached,
    OrderState,
    ProductStatus,
    SoldOut,
)
from chalicelib.services import payments
from chalicelib.services import store as shop
from chalicelib.services.store import StoreDesk, order_purpose
from tests.support.twins import CALLER, HELPER
from tests.unit.test_payments_service import NOW, desk_twin

PDF = b"%PDF-1.7\n" + b"guide " * 200


def store_desk(*, storefront: bool = True) -> StoreDesk:
    paying = desk_twin()
    if storefront:
        paying.storefronts.save(Storefront(user_id=HELPER, paypal_email="ada@paypal.example", name="Ada's store",
                                           created_at=NOW, updated_at=NOW))
    products = InMemoryProductStore()
    orders = InMemoryOrderStore(products)
    desk = StoreDesk(products=products, search=InMemoryProductSearch(), orders=orders, sales=InMemorySalesBook(orders),
                     payments=paying, images=InMemoryUploadStorage(), files=InMemoryUploadStorage())
    paying.purposes[PaymentKind.MERCHANDISE] = order_purpose(desk)
    return desk


@pytest.fixture
def desk() -> StoreDesk:
    return store_desk()


def digital_guide(desk: StoreDesk, *, price_cents: int = 900, title: str = "The leak-fixing guide"):
    """A digital product on sale, with its PDF uploaded and checked."""
    product = shop.create_product(seller_id=HELPER, fields={
        "title": title, "description": "Every **leak** I fixed.", "kind": "digital",
        "variants": [{"sku": "GUIDE", "price_cents": price_cents}]}, desk=desk, now=NOW)
    upload = shop.request_file_upload(seller_id=HELPER, slug=product.slug, content_type="application/pdf",
                                      size=len(PDF), desk=desk)
    desk.files.objects[upload["fields"]["key"]] = (PDF, "application/pdf")
    shop.add_file(seller_id=HELPER, slug=product.slug, file_id=upload["file_id"], name="Leak guide.pdf", desk=desk,
                  now=NOW + 1)
    return shop.update_product(seller_id=HELPER, slug=product.slug, fields={
        "title": title, "description": "Every **leak** I fixed.", "status": "active",
        "variants": [{"variant_id": product.variants[0].variant_id, "sku": "GUIDE", "price_cents": price_cents}]},
        desk=desk, now=NOW + 2)


def mug(desk: StoreDesk, *, stock: int = 3, price_cents: int = 1500):
    return shop.create_product(seller_id=HELPER, fields={
        "title": "Plumber's mug", "kind": "physical", "status": "active",
        "variants": [{"name": "Blue", "sku": "MUG-B", "price_cents": price_cents, "stock": stock},
                     {"name": "Red", "sku": "MUG-R", "price_cents": price_cents, "stock": None}]},
        desk=desk, now=NOW)


def line(product, quantity: int = 1, variant: int = 0, **extra) -> dict:
    return {"slug": product.slug, "variant_id": product.variants[variant].variant_id, "quantity": quantity, **extra}


def bought(desk: StoreDesk, lines: list[dict], *, now: int = NOW + 100):
    """Checked out, approved at PayPal, captured: the order as it is then."""
    order, payment = shop.checkout(buyer_id=CALLER, seller="ada", lines=lines, desk=desk, now=now)
    desk.payments.gateway.approve(payment.order_id)
    payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk.payments, now=now + 30)
    return desk.orders.get(order.order_id)


# -- the catalogue -------------------------------------------------------------------------------

def test_a_digital_product_goes_on_sale_only_with_its_file_and_a_storefront():
    desk = store_desk(storefront=False)
    fields = {"title": "Guide", "kind": "digital", "status": "active", "variants": [{"price_cents": 900}]}
    with pytest.raises(InvalidInput, match="file"):
        shop.create_product(seller_id=HELPER, fields=fields, desk=desk, now=NOW)
    draft = shop.create_product(seller_id=HELPER, fields={**fields, "status": "draft"}, desk=desk, now=NOW)
    assert draft.status is ProductStatus.DRAFT and draft.slug == "guide"
    with pytest.raises(NotFound):
        shop.product_page(username="ada", slug="guide", desk=desk, now=NOW)  # drafts are the seller's alone


def test_a_product_on_sale_is_on_the_store_the_marketplace_and_found_by_its_words(desk):
    guide = digital_guide(desk)
    assert guide.description_html == "<p>Every <strong>leak</strong> I fixed.</p>"
    assert [p.slug for p in shop.store_page(username="ada", desk=desk).products] == [guide.slug]
    assert [p.slug for p in shop.marketplace(desk=desk)[0]] == [guide.slug]
    assert [p.slug for p in shop.marketplace(desk=desk, query="leak fix")[0]] == [guide.slug]
    assert shop.marketplace(desk=desk, query="drain")[0] == []


def test_a_second_product_with_the_same_title_gets_its_own_address(desk):
    first = mug(desk)
    second = mug(desk)
    assert (first.slug, second.slug) == ("plumber-s-mug", "plumber-s-mug-2")
    with pytest.raises(Conflict):
        shop.create_product(seller_id=HELPER, fields={"title": "x", "slug": first.slug, "kind": "physical",
                                                      "variants": [{"price_cents": 1}]}, desk=desk, now=NOW)


@pytest.mark.parametrize("variants, field", [
    ([{"price_cents": -1}], "variants.0.price_cents"),
    ([{"price_cents": 9.5}], "variants.0.price_cents"),
    ([{"price_cents": "900"}], "variants.0.price_cents"),
    ([{"price_cents": True}], "variants.0.price_cents"),
    ([{"name": "A", "price_cents": 1}, {"name": "a", "price_cents": 2}], "variants.1.name"),
    ([], "variants"),
])
def test_bad_variants_are_refused_with_the_field_at_fault(desk, variants, field):
    with pytest.raises(InvalidInput) as refusal:
        shop.create_product(seller_id=HELPER, fields={"title": "Mug", "kind": "physical", "variants": variants},
                            desk=desk, now=NOW)
    assert refusal.value.field == field


def test_an_uploaded_file_that_is_not_what_it_claims_is_deleted_and_refused(desk):
    product = shop.create_product(seller_id=HELPER, fields={"title": "Guide", "kind": "digital",
                                                            "variants": [{"price_cents": 900}]}, desk=desk, now=NOW)
    upload = shop.request_file_upload(seller_id=HELPER, slug=product.slug, content_type="application/pdf", size=100,
                                      desk=desk)
    key = upload["fields"]["key"]
    desk.files.objects[key] = (b"<html><script>alert(1)</script>", "application/pdf")
    with pytest.raises(InvalidInput):
        shop.add_file(seller_id=HELPER, slug=product.slug, file_id=upload["file_id"], name="x.pdf", desk=desk, now=NOW)
    assert key not in desk.files.objects
    with pytest.raises(InvalidInput):
        shop.request_file_upload(seller_id=HELPER, slug=product.slug, content_type="text/html", size=10, desk=desk)
    with pytest.raises(InvalidInput):
        shop.request_file_upload(seller_id=HELPER, slug=product.slug, content_type="application/pdf",
                                 size=501 * 1024 * 1024, desk=desk)


# -- checkout ----------------------------------------------------------------------------------

def test_a_digital_purchase_reaches_the_library_and_counts_the_sale(desk):
    guide = digital_guide(desk)
    order, payment = shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(guide, seen_price_cents=900)],
                                   desk=desk, now=NOW + 100)
    assert order.state is OrderState.RESERVED and payment.amount_cents == 900
    assert payment.kind is PaymentKind.MERCHANDISE and payment.helper_id == HELPER
    [item] = desk.payments.gateway.get_order(payment.order_id).items
    assert (item.sku, item.quantity, item.unit_amount_cents, item.category) == ("GUIDE", 1, 900, "DIGITAL_GOODS")

    desk.payments.gateway.approve(payment.order_id)
    payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk.payments, now=NOW + 130)

    paid = desk.orders.get(order.order_id)
    assert paid.state is OrderState.PAID and paid.paid_at == NOW + 130
    [entry], _ = shop.library(buyer_id=CALLER, desk=desk, now=NOW + 200)
    assert entry["seller"]["store_url"] == "/h/ada/store" and entry["refund"]["may_ask"] is True
    assert [f["name"] for f in entry["files"]] == ["Leak guide.pdf"] and entry["files"][0]["downloads_left"] == 5
    [day] = desk.sales.days(HELPER, first="2000-01-01", last="2100-01-01")
    captured = desk.payments.payments.get(payment.payment_id)
    assert (day.orders, day.units, day.gross_cents) == (1, 1, 900)
    assert day.fee_cents == 900 - captured.helper_cents  # the platform's 20% on the free plan
    assert desk.payments.ledger.balance(books.helper_pending(HELPER)).credit_balance == captured.helper_cents
    subjects = [email.subject for email in desk.payments.mailer.sent]
    assert "Your order is paid: $9.00" in subjects and "New order: $9.00" in subjects


def test_the_server_prices_the_cart_and_a_changed_price_is_a_conflict_with_the_cart_as_it_is(desk):
    guide = digital_guide(desk, price_cents=900)
    with pytest.raises(CartChanged) as changed:
        shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(guide, seen_price_cents=500)], desk=desk, now=NOW)
    assert changed.value.details["lines"][0]["price_cents"] == 900
    shop.update_product(seller_id=HELPER, slug=guide.slug, fields={
        "title": guide.title, "status": "archived",
        "variants": [{"variant_id": guide.variants[0].variant_id, "price_cents": 900}]}, desk=desk, now=NOW + 50)
    with pytest.raises(CartChanged) as gone:
        shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(guide)], desk=desk, now=NOW + 60)
    assert gone.value.details["lines"][0]["available"] is False


@pytest.mark.parametrize("quantity", [0, 100, 10_000, -1, 1.5, True])
def test_a_quantity_outside_1_to_99_is_refused(desk, quantity):
    product = mug(desk)
    with pytest.raises(InvalidInput):
        shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(product, quantity=quantity)], desk=desk, now=NOW)


def test_an_unknown_variant_or_product_is_a_conflict_and_nothing_is_held(desk):
    product = mug(desk)
    for bad in ({**line(product), "variant_id": "nosuchvariant"}, {**line(product), "slug": "no-such-thing"}):
        with pytest.raises(CartChanged):
            shop.checkout(buyer_id=CALLER, seller="ada", lines=[bad], desk=desk, now=NOW)
    assert desk.products.get(HELPER, product.slug).variants[0].stock == 3
    assert desk.orders.orders == {}


def test_nobody_buys_from_their_own_store_or_a_store_without_a_storefront(desk):
    product = mug(desk)
    with pytest.raises(Forbidden):
        shop.checkout(buyer_id=HELPER, seller="ada", lines=[line(product)], desk=desk, now=NOW)
    desk.payments.storefronts._storefronts.clear()
    with pytest.raises(Conflict, match="cannot take payments"):
        shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(product)], desk=desk, now=NOW)


def test_ten_buyers_racing_for_the_last_unit_make_exactly_one_order(desk):
    product = mug(desk, stock=1)
    outcomes: list[str] = []
    start = threading.Barrier(10)

    def buy() -> None:
        start.wait()
        try:
            shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(product)], desk=desk, now=NOW)
            outcomes.append("ordered")
        except SoldOut:
            outcomes.append("sold out")

    threads = [threading.Thread(target=buy) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ordered"] + ["sold out"] * 9
    assert desk.products.get(HELPER, product.slug).variants[0].stock == 0


def test_an_unpaid_reservation_runs_out_gives_its_stock_back_and_a_late_approval_charges_nothing(desk):
    product = mug(desk, stock=2)
    order, payment = shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(product, quantity=2)], desk=desk,
                                   now=NOW)
    assert desk.products.get(HELPER, product.slug).variants[0].stock == 0
    assert shop.expire_reservations(desk=desk, now=NOW + 29 * 60) == 0
    assert shop.expire_reservations(desk=desk, now=NOW + 30 * 60) == 1
    assert desk.orders.get(order.order_id).state is OrderState.CANCELLED
    assert desk.products.get(HELPER, product.slug).variants[0].stock == 2
    desk.payments.gateway.approve(payment.order_id)
    with pytest.raises(PaymentClosed):
        payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk.payments, now=NOW + 1900)
    assert desk.payments.payments.get(payment.payment_id).capture_id is None
    assert shop.expire_reservations(desk=desk, now=NOW + 4000) == 0  # once


def test_cancelling_at_paypal_gives_the_stock_back(desk):
    product = mug(desk, stock=2)
    order, payment = shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(product)], desk=desk, now=NOW)
    payments.cancel_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk.payments, now=NOW + 10)
    assert desk.orders.get(order.order_id).state is OrderState.CANCELLED
    assert desk.products.get(HELPER, product.slug).variants[0].stock == 2


def test_money_that_arrives_after_the_reservation_was_given_back_is_refunded_whole(desk):
    product = mug(desk, stock=1)
    order, payment = shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(product)], desk=desk, now=NOW)
    desk.payments.gateway.approve(payment.order_id)
    captured_elsewhere = desk.payments.gateway.capture_order(order_id=payment.order_id, request_id="webhook-first")
    desk.orders.cancel(order, order.with_changes(state=OrderState.CANCELLED, closed_reason="test"))
    payments.settle(payment=desk.payments.payments.get(payment.payment_id), capture=captured_elsewhere.capture,
                    desk=desk.payments, now=NOW + 60)
    assert desk.payments.payments.get(payment.payment_id).state is PaymentState.REFUNDED


# -- after the sale --------------------------------------------------------------------------------

def test_a_file_downloads_five_times_then_no_more_and_never_after_a_refund(desk):
    guide = digital_guide(desk)
    order = bought(desk, [line(guide)])
    file_id = guide.files[0].file_id
    for _ in range(5):
        url = shop.download(order_id=order.order_id, buyer_id=CALLER, slug=guide.slug, file_id=file_id, desk=desk)
        [disposition] = parse_qs(urlsplit(url).query)["disposition"]
        assert disposition.startswith("attachment;") and "Leak%20guide.pdf" in disposition
    with pytest.raises(DownloadLimitReached):
        shop.download(order_id=order.order_id, buyer_id=CALLER, slug=guide.slug, file_id=file_id, desk=desk)
    with pytest.raises(NotFound):
        shop.download(order_id=order.order_id, buyer_id=HELPER + "x", slug=guide.slug, file_id=file_id, desk=desk)

    second = bought(desk, [line(guide)], now=NOW + 500)
    desk.orders.transition(second, second.with_changes(refunded_cents=900))
    with pytest.raises(Forbidden, match="refunded"):
        shop.download(order_id=second.order_id, buyer_id=CALLER, slug=guide.slug, file_id=file_id, desk=desk)


def test_a_physical_order_ships_with_tracking_sent_to_paypal_and_the_buyer_is_told(desk):
    product = mug(desk)
    order = bought(desk, [line(product, quantity=2)])
    assert order.shipping_cents == 0 and order.ship_to["country_code"]  # PayPal's address, read back
    assert desk.orders.for_seller(HELPER, limit=10, state=OrderState.PAID)[0] == [order]
    with pytest.raises(Forbidden):
        shop.ship(order_id=order.order_id, seller_id=CALLER, carrier="USPS", tracking_number="1Z 999", desk=desk,
                  now=NOW + 300)
    shipped = shop.ship(order_id=order.order_id, seller_id=HELPER, carrier="USPS", tracking_number="9400 1000",
                        desk=desk, now=NOW + 300)
    assert shipped.state is OrderState.SHIPPED and shipped.shipment.tracking_number == "9400 1000"
    payment = desk.payments.payments.get(order.payment_id)
    [tracking] = desk.payments.gateway.trackings
    assert (tracking.order_id, tracking.capture_id, tracking.tracking_number) == (
        payment.order_id, payment.capture_id, "9400 1000")
    again = shop.ship(order_id=order.order_id, seller_id=HELPER, carrier="USPS", tracking_number="9400 1000",
                      desk=desk, now=NOW + 400)
    assert again == shipped
    assert "Your order is on its way" in [email.subject for email in desk.payments.mailer.sent]
    done = shop.mark_delivered(order_id=order.order_id, user_id=CALLER, desk=desk, now=NOW + 900)
    assert done.state is OrderState.DELIVERED
    assert desk.payments.mailer.sent[-1].subject == "An order you shipped arrived"  # to the seller


def test_a_stores_shipping_rule_is_charged_and_free_from_its_threshold(desk):
    product = mug(desk, stock=10)
    shop.save_shipping(seller_id=HELPER, fields={"flat_cents": 500, "free_from_cents": 4000, "countries": ["US"]},
                       desk=desk, now=NOW)
    order, payment = shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(product)], desk=desk, now=NOW)
    assert (order.items_cents, order.shipping_cents, payment.amount_cents) == (1500, 500, 2000)
    big, _ = shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(product, quantity=3)], desk=desk, now=NOW)
    assert big.shipping_cents == 0
    with pytest.raises(InvalidInput):
        shop.save_shipping(seller_id=HELPER, fields={"flat_cents": -5, "countries": ["US"]}, desk=desk, now=NOW)


def test_store_earnings_wait_for_their_hold_digital_a_day_physical_a_week_after_shipping(desk):
    hold = shop.earnings_hold(desk)
    guide = digital_guide(desk)
    order = bought(desk, [line(guide)])
    assert hold(desk.payments.payments.get(order.payment_id)) == order.paid_at + 24 * 3600
    parcel = bought(desk, [line(mug(desk))], now=NOW + 1000)
    payment = desk.payments.payments.get(parcel.payment_id)
    assert hold(payment) is None  # not shipped: not known yet
    shop.ship(order_id=parcel.order_id, seller_id=HELPER, carrier="UPS", tracking_number="1Z999", desk=desk,
              now=NOW + 2000)
    assert hold(payment) == NOW + 2000 + 7 * 86400


# -- refunds ---------------------------------------------------------------------------------------

def test_the_seller_refunds_part_then_the_rest_and_the_ledger_and_the_sales_follow(desk):
    product = mug(desk)
    order = bought(desk, [line(product, quantity=2)])
    with pytest.raises(InvalidInput):
        shop.refund_order(order_id=order.order_id, seller_id=HELPER, amount_cents=3001, reason="Too much",
                          desk=desk, now=NOW + 200)
    with pytest.raises(Forbidden):
        shop.refund_order(order_id=order.order_id, seller_id=CALLER, amount_cents=100, reason="Not mine",
                          desk=desk, now=NOW + 200)
    part = shop.refund_order(order_id=order.order_id, seller_id=HELPER, amount_cents=1500, reason="One chipped",
                             desk=desk, now=NOW + 200)
    assert part.refunded_cents == 1500
    rest = shop.refund_order(order_id=order.order_id, seller_id=HELPER, amount_cents=1500, reason="The other too",
                             desk=desk, now=NOW + 300)
    assert rest.refunded_cents == 3000
    payment = desk.payments.payments.get(order.payment_id)
    assert payment.state is PaymentState.REFUNDED and payment.refunded_cents == 3000
    [day] = desk.sales.days(HELPER, first="2000-01-01", last="2100-01-01")
    assert day.refunded_cents == 3000
    assert desk.payments.ledger.balance(books.helper_pending(HELPER)).credit_balance == 0
    with pytest.raises(InvalidInput):  # nothing left
        shop.refund_order(order_id=order.order_id, seller_id=HELPER, amount_cents=1, reason="Again",
                          desk=desk, now=NOW + 400)


def test_a_buyer_asks_within_a_day_ops_approves_and_the_files_stop_downloading(desk):
    from chalicelib.services import refunds

    guide = digital_guide(desk)
    order = bought(desk, [line(guide)])
    shop.download(order_id=order.order_id, buyer_id=CALLER, slug=guide.slug, file_id=guide.files[0].file_id,
                  desk=desk)
    payment = desk.payments.payments.get(order.payment_id)
    assert refunds.refundable_until(payment, desk.payments) == order.paid_at + 24 * 3600
    request = refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER, reason="Not what it says.",
                                     desk=desk.payments, now=NOW + 3600)
    refunds.decide(request_id=request.request_id, ops_id="ops", decision="approve", note="Fair enough.",
                   desk=desk.payments, now=NOW + 7200)
    assert desk.orders.get(order.order_id).refunded_cents == request.refund_cents > 0
    with pytest.raises(Forbidden, match="refunded"):
        shop.download(order_id=order.order_id, buyer_id=CALLER, slug=guide.slug, file_id=guide.files[0].file_id,
                      desk=desk)


def test_a_digital_purchase_downloaded_twice_or_a_day_old_cannot_be_asked_back(desk):
    from chalicelib.domain.refunds import RefundWindowClosed
    from chalicelib.services import refunds

    guide = digital_guide(desk)
    order = bought(desk, [line(guide)])
    with pytest.raises(RefundWindowClosed):
        refunds.request_refund(payment_id=order.payment_id, user_id=CALLER, reason="Changed my mind.",
                               desk=desk.payments, now=order.paid_at + 24 * 3600)
    for _ in range(2):
        shop.download(order_id=order.order_id, buyer_id=CALLER, slug=guide.slug, file_id=guide.files[0].file_id,
                      desk=desk)
    with pytest.raises(Conflict, match="more than once"):
        refunds.request_refund(payment_id=order.payment_id, user_id=CALLER, reason="Changed my mind.",
                               desk=desk.payments, now=order.paid_at + 60)


def test_a_physical_order_can_be_asked_back_until_two_weeks_after_delivery(desk):
    from chalicelib.domain.refunds import RefundWindowClosed
    from chalicelib.services import refunds

    order = bought(desk, [line(mug(desk))])
    shop.ship(order_id=order.order_id, seller_id=HELPER, carrier="DHL", tracking_number="JD0001", desk=desk,
              now=NOW + 1000)
    shop.mark_delivered(order_id=order.order_id, user_id=CALLER, desk=desk, now=NOW + 5000)
    with pytest.raises(RefundWindowClosed):
        refunds.request_refund(payment_id=order.payment_id, user_id=CALLER, reason="It broke in a week.",
                               desk=desk.payments, now=NOW + 5000 + 14 * 86400)
    request = refunds.request_refund(payment_id=order.payment_id, user_id=CALLER, reason="It broke in a week.",
                                     desk=desk.payments, now=NOW + 5000 + 13 * 86400)
    assert request.refund_cents == 1500 - desk.payments.payments.get(order.payment_id).paypal_fee_cents


# -- the Sales page --------------------------------------------------------------------------------

def test_the_sales_report_reconciles_with_the_ledger_to_the_cent(desk):
    from datetime import date

    from chalicelib.services.sales import orders_csv, report_csv, sales_report

    guide, product = digital_guide(desk, price_cents=999), mug(desk, stock=50, price_cents=1234)
    shop.save_shipping(seller_id=HELPER, fields={"flat_cents": 499, "countries": ["US"]}, desk=desk, now=NOW)
    shop.product_page(username="ada", slug=guide.slug, desk=desk, now=NOW)  # a view
    first = bought(desk, [line(guide), line(product, quantity=3)])
    second = bought(desk, [line(product)], now=NOW + 3 * 86400)
    shop.refund_order(order_id=second.order_id, seller_id=HELPER, amount_cents=777, reason="Late parcel",
                      desk=desk, now=NOW + 4 * 86400)

    today = date.fromtimestamp(NOW + 5 * 86400)
    start = date.fromtimestamp(NOW - 86400).isoformat()
    found = sales_report(seller_id=HELPER, first=start, last=today.isoformat(), by="month", desk=desk, today=today)
    totals = found["totals"]
    assert (totals["orders"], totals["units"]) == (2, 5)
    assert totals["gross_cents"] == first.total_cents + second.total_cents == 999 + 3 * 1234 + 499 + 1234 + 499
    assert totals["refunded_cents"] == 777
    earned = desk.payments.ledger.balance(books.helper_pending(HELPER)).credit_balance + \
        desk.payments.ledger.balance(books.helper_payable(HELPER)).credit_balance
    assert totals["net_cents"] == earned  # the seller's ledger, to the cent
    assert sum(bucket["gross_cents"] for bucket in found["series"]) == totals["gross_cents"]
    by_slug = {p["slug"]: p for p in found["products"]}
    assert by_slug[product.slug]["units"] == 4 and by_slug[guide.slug]["views"] == 1
    assert by_slug[guide.slug]["conversion_basis_points"] == 10_000  # one view, one order
    assert sum(p["fee_cents"] for p in found["products"]) == totals["fee_cents"]

    text = report_csv(found)
    assert text.splitlines()[0].startswith("section,start,product,orders")
    assert f"total,{start},,2,5,{totals['gross_cents'] // 100}.{totals['gross_cents'] % 100:02d}" in text
    rows = orders_csv(seller_id=HELPER, first=start, last=today.isoformat(), desk=desk, today=today)
    assert len(rows.splitlines()) == 1 + 3  # a row per order line


@pytest.mark.parametrize("first, last, by", [("2026-13-01", None, "day"), ("2026-02-01", "2026-01-01", "day"),
                                             ("2020-01-01", "2026-01-01", "day"), (None, None, "year")])
def test_a_bad_period_is_refused(desk, first, last, by):
    from datetime import date

    from chalicelib.services.sales import sales_report

    with pytest.raises(InvalidInput):
        sales_report(seller_id=HELPER, first=first, last=last, by=by, desk=desk, today=date(2026, 12, 6))


def test_a_calendar_years_report_reads_the_products_years_and_agrees_with_their_days(desk):
    from datetime import date

    from chalicelib.services.sales import sales_report

    product = mug(desk, stock=20)
    bought(desk, [line(product, quantity=2)])
    bought(desk, [line(product)], now=NOW + 40 * 86400)
    whole = sales_report(seller_id=HELPER, first="2026-01-01", last="2026-12-31", by="month", desk=desk,
                         today=date(2026, 12, 31))
    [row] = whole["products"]
    assert (row["orders"], row["units"], row["gross_cents"]) == (2, 3, 3 * 1500)
    assert whole["totals"]["gross_cents"] == sum(bucket["gross_cents"] for bucket in whole["series"]) == 3 * 1500
    part = sales_report(seller_id=HELPER, first="2026-09-01", last="2026-11-30", by="day", desk=desk,
                        today=date(2026, 12, 31))
    assert part["products"] == whole["products"] and part["totals"] == whole["totals"]


def test_an_order_paid_while_paypal_could_not_give_the_address_is_paid_and_a_crash_before_marking_it_is_repaired(desk):
    product = mug(desk)
    order, payment = shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(product)], desk=desk, now=NOW)
    desk.payments.gateway.approve(payment.order_id)
    original = desk.payments.gateway.capture_order  # the capture goes through; reading the address back does not

    def capture_then_down(**kwargs):
        answer = original(**kwargs)
        desk.payments.gateway.unavailable_next(1)
        return answer

    desk.payments.gateway.capture_order = capture_then_down
    payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk.payments, now=NOW + 30)
    paid = desk.orders.get(order.order_id)
    assert paid.state is OrderState.PAID and paid.ship_to is None

    # A crash between the capture and the order: the reservation job delivers it, never cancels it.
    other, second = shop.checkout(buyer_id=CALLER, seller="ada", lines=[line(product)], desk=desk, now=NOW)
    desk.payments.gateway.approve(second.order_id)
    desk.payments.purposes[PaymentKind.MERCHANDISE] = payments.Purpose(deliver=lambda *args: None)
    payments.complete_payment(payment_id=second.payment_id, user_id=CALLER, desk=desk.payments, now=NOW + 40)
    desk.payments.purposes[PaymentKind.MERCHANDISE] = order_purpose(desk)
    assert desk.orders.get(other.order_id).state is OrderState.RESERVED
    assert shop.expire_reservations(desk=desk, now=NOW + 3600) == 0
    assert desk.orders.get(other.order_id).state is OrderState.PAID
