"""Test controls of the local PayPal sandbox, under `/sandbox/` (no token: local use only; the
sandbox listens on loopback). They do what a tester does in PayPal's sandbox by hand, and what
PayPal does on its own (chargebacks, failing payouts). JSON in, JSON out; all POSTs honour
PayPal-Request-Id like the REST routes.

    GET  /sandbox                                  these routes
    POST /sandbox/orders/{id}/approve              the payer approves without the page (body optional:
                                                   {"shipping": {"name": {"full_name"}, "address": {...}}},
                                                   where a GET_FROM_FILE order ships; else the default)
    POST /sandbox/captures/{id}/reverse            a chargeback: PAYMENT.CAPTURE.REVERSED
                                                   (body optional: {"amount": "5.00"})
    POST /sandbox/webhooks                         {"url", "event_types": ["*"]} -> {"id"} (register_webhook)
    GET  /sandbox/webhooks/events                  recorded events (?event_type=)
    POST /sandbox/webhooks/events/{id}/resend      deliver again, new transmission id
                                                   (body optional: {"webhook_ids": [...]})
    GET  /sandbox/webhooks/deliveries              the delivery log (?event_id= &event_type= &status=)
    POST /sandbox/failures                         {"route": "orders"|"capture"|"refund"|"payouts"
                                                   (or "METHOD /path/template"), "mode": "declined"|
                                                   "unavailable", "count": N}
    GET  /sandbox/failures, DELETE /sandbox/failures   the armed failures; disarm them all
    POST /sandbox/payouts/receivers                {"email", "outcome": "FAILED"|"RETURNED"|"UNCLAIMED"
                                                   |"SUCCESS"}
    GET  /sandbox/payouts/receivers                the configured outcomes
    POST /sandbox/payouts/{batch_id}/process       process a pending payout batch now
    GET  /sandbox/stats, POST /sandbox/stats/reset requests per route since start (or reset)

"declined" makes the next N calls of the route fail the way a decline shows at PayPal: captures
complete with capture status DECLINED (201, PAYMENT.CAPTURE.DENIED), refunds come back FAILED,
order creation gets 422 TRANSACTION_REFUSED, payout batches are DENIED. "unavailable" makes the
next N requests of the route answer 503 SERVICE_UNAVAILABLE (nothing changes; a retry with the
same PayPal-Request-Id then runs).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.local.paypal_core import PayPalError, SandboxRequest, SandboxResponse
from infra.local.paypal_money import AmountProblem, parse_value
from infra.local.paypal_orders import AddressProblem, shipping_address
from infra.local.paypal_payouts import EMAIL, OUTCOMES

if TYPE_CHECKING:
    from infra.local.paypal_sandbox import PayPalSandbox

FAULT_MODES = ("declined", "unavailable")
DECLINABLE = ("orders", "capture", "refund", "payouts")


def bad_request(message: str) -> PayPalError:
    return PayPalError(400, "INVALID_REQUEST", message)


def not_found(message: str) -> PayPalError:
    return PayPalError(404, "RESOURCE_NOT_FOUND", message)


def conflict(message: str) -> PayPalError:
    return PayPalError(422, "UNPROCESSABLE_ENTITY", message)


class Control:
    """The `/sandbox/...` routes."""

    def __init__(self, sandbox: "PayPalSandbox") -> None:
        self.sandbox = sandbox

    def register(self, router: Any) -> None:
        add = router.add
        add("GET", "/sandbox", self.describe, authenticated=False)
        add("POST", "/sandbox/orders/{id}/approve", self.approve, authenticated=False, idempotent=True)
        add("POST", "/sandbox/captures/{id}/reverse", self.reverse, authenticated=False, idempotent=True)
        add("POST", "/sandbox/webhooks", self.register_webhook, authenticated=False, idempotent=True)
        add("GET", "/sandbox/webhooks/events", self.events, authenticated=False)
        add("POST", "/sandbox/webhooks/events/{event_id}/resend", self.resend, authenticated=False,
            idempotent=True)
        add("GET", "/sandbox/webhooks/deliveries", self.deliveries, authenticated=False)
        add("POST", "/sandbox/failures", self.arm, authenticated=False, idempotent=True)
        add("GET", "/sandbox/failures", self.armed, authenticated=False)
        add("DELETE", "/sandbox/failures", self.disarm, authenticated=False)
        add("POST", "/sandbox/payouts/receivers", self.set_receiver, authenticated=False, idempotent=True)
        add("GET", "/sandbox/payouts/receivers", self.receivers, authenticated=False)
        add("POST", "/sandbox/payouts/{batch_id}/process", self.process_payout, authenticated=False,
            idempotent=True)
        add("GET", "/sandbox/stats", self.stats, authenticated=False)
        add("POST", "/sandbox/stats/reset", self.reset_stats, authenticated=False, idempotent=True)

    def describe(self, request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse(200, {"routes": [r.key for r in self.sandbox.router.routes
                                                if r.template.startswith("/sandbox")]})

    def approve(self, request: SandboxRequest) -> SandboxResponse:
        shipping = self._shipping(request.params["id"], request.json_object(optional=True).get("shipping"))
        try:
            order, _ = self.sandbox.checkout.approve(request.params["id"], shipping)
        except LookupError as gone:
            raise not_found(f"Order {request.params['id']} is {gone}.") from None
        except ValueError as done:
            raise conflict(f"Order {request.params['id']} is {done}; it cannot be approved.") from None
        with self.sandbox.state.lock:
            return SandboxResponse(200, self.sandbox.checkout.order_json(order))

    def _shipping(self, order_id: str, node: Any) -> dict | None:
        """The address the payer picks (in the buyer's name unless another is given), checked as
        PayPal checks one; only where the order lets them pick."""
        if node is None:
            return None
        if not (isinstance(node, dict) and isinstance(node.get("address"), dict)
                and isinstance(node.get("name", {}), dict)):
            raise bad_request('shipping is {"name": {"full_name": ...}, "address": {"address_line_1": ..., ...}}.')
        try:
            full_name = node.get("name", {}).get("full_name") or self.sandbox.buyer.full_name
            shipping = shipping_address(full_name, node["address"])
        except AddressProblem as problem:
            raise bad_request(f"shipping {problem.part}: {problem.words}") from None
        with self.sandbox.state.lock:
            order = self.sandbox.state.orders.get(order_id)
            if order is not None and not self.sandbox.checkout.picks_address(order):
                raise bad_request(f"Order {order_id} does not ship to an address the payer picks "
                                  f"(shipping_preference {self.sandbox.checkout.shipping_preference(order)}).")
        return shipping

    def reverse(self, request: SandboxRequest) -> SandboxResponse:
        body = request.json_object(optional=True)
        amount = None
        if body.get("amount") is not None:
            with self.sandbox.state.lock:
                capture = self.sandbox.state.captures.get(request.params["id"])
            currency = capture["currency"] if capture else "USD"
            try:
                amount = parse_value(body["amount"], currency, field="amount")
            except AmountProblem:
                raise bad_request("amount is a PayPal value string, such as \"5.00\".") from None
        try:
            return SandboxResponse(200, self.sandbox.checkout.reverse(request.params["id"], amount))
        except LookupError:
            raise not_found(f"No capture {request.params['id']}.") from None
        except ValueError as refused:
            raise conflict(str(refused)) from None

    def register_webhook(self, request: SandboxRequest) -> SandboxResponse:
        body = request.json_object()
        types = body.get("event_types", ["*"])
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise bad_request("event_types is a list of event type names.")
        return SandboxResponse(200, {"id": self.sandbox.register_webhook(body.get("url"), types)})

    def events(self, request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse(200, {"events": self.sandbox.webhooks.events(request.query_value("event_type"))})

    def resend(self, request: SandboxRequest) -> SandboxResponse:
        body = request.json_object(optional=True)
        ids = body.get("webhook_ids")
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
            raise bad_request("webhook_ids is a list of webhook ids.")
        try:
            deliveries = self.sandbox.webhooks.resend(request.params["event_id"], ids)
        except LookupError:
            raise not_found(f"No event {request.params['event_id']}.") from None
        return SandboxResponse(202, {"event_id": request.params["event_id"], "deliveries": deliveries})

    def deliveries(self, request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse(200, {"deliveries": self.sandbox.webhooks.deliveries(
            event_id=request.query_value("event_id"), event_type=request.query_value("event_type"),
            status=request.query_value("status"))})

    def arm(self, request: SandboxRequest) -> SandboxResponse:
        body = request.json_object()
        try:
            self.sandbox.fail_next(body.get("route"), body.get("mode"), body.get("count", 1))
        except ValueError as refused:
            raise bad_request(str(refused)) from None
        return self.armed(request)

    def armed(self, request: SandboxRequest) -> SandboxResponse:
        with self.sandbox.state.lock:
            return SandboxResponse(200, {"failures": [dict(f) for f in self.sandbox.state.faults.values()]})

    def disarm(self, request: SandboxRequest) -> SandboxResponse:
        with self.sandbox.state.lock:
            self.sandbox.state.faults.clear()
        return SandboxResponse(200, {"failures": []})

    def set_receiver(self, request: SandboxRequest) -> SandboxResponse:
        body = request.json_object()
        try:
            self.sandbox.set_receiver_outcome(body.get("email"), body.get("outcome"))
        except ValueError as refused:
            raise bad_request(str(refused)) from None
        return self.receivers(request)

    def receivers(self, request: SandboxRequest) -> SandboxResponse:
        with self.sandbox.state.lock:
            return SandboxResponse(200, {"receivers": dict(self.sandbox.state.receiver_outcomes)})

    def process_payout(self, request: SandboxRequest) -> SandboxResponse:
        batch_id = request.params["batch_id"]
        with self.sandbox.state.lock:
            if batch_id not in self.sandbox.state.payouts:
                raise not_found(f"No payout batch {batch_id}.")
        processed = self.sandbox.payouts.process(batch_id)
        with self.sandbox.state.lock:
            batch = self.sandbox.state.payouts[batch_id]
            return SandboxResponse(200, {"processed": processed, "batch_status": batch["status"]})

    def stats(self, request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse(200, self.sandbox.stats())

    def reset_stats(self, request: SandboxRequest) -> SandboxResponse:
        self.sandbox.reset_stats()
        return SandboxResponse(200, self.sandbox.stats())


def check_fault(route: Any, mode: Any, count: Any, known: list[str]) -> tuple[str, str, int]:
    """A failure to arm, checked: a known route name or key, a mode, a count of 1 or more."""
    if not isinstance(route, str) or route not in known:
        raise ValueError(f"route is one of {', '.join(DECLINABLE)} or a route key such as "
                         "'GET /v2/checkout/orders/{id}'")
    if mode not in FAULT_MODES:
        raise ValueError(f"mode is one of {', '.join(FAULT_MODES)}")
    if mode == "declined" and route not in DECLINABLE:
        raise ValueError(f"only {', '.join(DECLINABLE)} can be declined")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
        raise ValueError("count is a whole number from 1 to 10000")
    return route, mode, count


def check_receiver(email: Any, outcome: Any) -> tuple[str, str]:
    if not isinstance(email, str) or not EMAIL.match(email):
        raise ValueError("email is the receiver's email address")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome is one of {', '.join(OUTCOMES)}")
    return email.lower(), outcome
