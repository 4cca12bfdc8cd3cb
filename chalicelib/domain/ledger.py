"""The double-entry ledger, as pure rules: transactions of legs with an explicit direction
(never a sign), the accounts money moves between, and the transaction for each money event.

Accounts and their normal side:

| account                 | kind      | holds                                                   |
|-------------------------|-----------|---------------------------------------------------------|
| `paypal`                | asset     | money in the platform's PayPal account (debit = in)     |
| `paypal_fees`           | expense   | PayPal's processing fees the platform paid (debit)      |
| `platform_revenue`      | revenue   | the platform's gross share of payments (credit)         |
| `helper:{id}:pending`   | liability | earned by a helper, not yet released for payout (credit)|
| `helper:{id}:payable`   | liability | released, owed to the helper at the next payout (credit)|
| `payouts_in_transit`    | clearing  | sent in a payout batch, not yet settled by PayPal (credit)|

The platform's net result is `platform_revenue` minus `paypal_fees`. Every transaction's id is
derived from PayPal's id for the event (or from the payout item's id), so posting it twice is
recognisably the same thing.

A helper's money: a capture credits `pending`; when the refund window has closed a `release`
moves it to `payable`; a payout run moves payable to `payouts_in_transit` (`payout`); PayPal's
outcome then either takes it out of `paypal` (`payout_paid`, with PayPal's payout fee) or gives
it back to `payable` (`payout_return`: failed, returned or unclaimed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Iterable, Mapping

from chalicelib.domain.errors import DomainError, InvalidInput
from chalicelib.domain.fees import PaymentKind, Split
from chalicelib.domain.money import is_cents, proportion_of, require_cents

PAYPAL = "paypal"
PAYPAL_FEES = "paypal_fees"
PLATFORM_REVENUE = "platform_revenue"
PAYOUTS_IN_TRANSIT = "payouts_in_transit"
MAX_OCCURRED_AT = 10**12 - 1  # seconds; line keys hold it in 12 digits
MAX_MEMO_ENTRIES = 32
MAX_MEMO_TEXT = 1000
MAX_NAME_BYTES = 500  # ids and account names are DynamoDB keys (a line's sort key holds the id)


class UnbalancedTransaction(DomainError):
    """A ledger transaction whose debits and credits differ, or that is malformed: never posted."""

    code = "unbalanced_transaction"


class Direction(str, Enum):
    DEBIT = "debit"
    CREDIT = "credit"

    @property
    def opposite(self) -> "Direction":
        return Direction.CREDIT if self is Direction.DEBIT else Direction.DEBIT


class TransactionKind(str, Enum):
    CAPTURE = "capture"  # a payment captured at PayPal
    REFUND = "refund"  # money given back to the payer through PayPal
    REVERSAL = "reversal"  # a chargeback: PayPal took the payment back
    RELEASE = "release"  # a helper's pending earnings become payable
    PAYOUT = "payout"  # payable sent to PayPal in a payout batch
    PAYOUT_PAID = "payout_paid"  # PayPal paid the item out
    PAYOUT_RETURN = "payout_return"  # the item failed, was returned or unclaimed: back to payable


def _check_helper_id(helper_id: object) -> str:
    if not isinstance(helper_id, str) or not helper_id or ":" in helper_id:
        raise InvalidInput("A helper id is a non-empty string without ':'.", field="helper_id")
    return helper_id


def helper_pending(helper_id: str) -> str:
    """A helper's earnings still inside the refund window (not yet payable)."""
    return f"helper:{_check_helper_id(helper_id)}:pending"


def helper_payable(helper_id: str) -> str:
    """A helper's earnings released for the next payout."""
    return f"helper:{_check_helper_id(helper_id)}:payable"


def is_payable_account(account: str) -> bool:
    """True for a helper's payable account (what the next payout pays)."""
    return account.startswith("helper:") and account.endswith(":payable")


def helper_of(account: str) -> str:
    """The helper id in a helper account's name."""
    return account.split(":")[1]


def is_helper_account(account: str) -> bool:
    """True for a helper's pending or payable account (what the platform owes a helper)."""
    return account.startswith("helper:") and account.endswith((":pending", ":payable"))


@dataclass(frozen=True)
class Leg:
    """One side of a transaction: `amount_cents` (> 0) moves in `direction` on `account`."""

    account: str
    direction: Direction
    amount_cents: int

    def __post_init__(self) -> None:
        if not _is_name(self.account):
            raise UnbalancedTransaction("A leg needs an account.", field="account")
        try:
            object.__setattr__(self, "direction", Direction(self.direction))
        except ValueError as error:
            raise UnbalancedTransaction("A leg is a debit or a credit.", field="direction") from error
        if not is_cents(self.amount_cents) or self.amount_cents <= 0:
            raise UnbalancedTransaction("A leg moves a positive whole number of cents.", field="amount_cents")


def _is_name(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value.encode()) <= MAX_NAME_BYTES


def _check_memo(memo: Mapping[str, str | int] | None) -> Mapping[str, str | int]:
    memo = dict(memo or {})
    if len(memo) > MAX_MEMO_ENTRIES:
        raise UnbalancedTransaction("A memo holds at most 32 entries.", field="memo")
    for key, value in memo.items():
        if not isinstance(key, str) or not key:
            raise UnbalancedTransaction("Memo keys are non-empty strings.", field="memo")
        if not (is_cents(value) or isinstance(value, str)) or (isinstance(value, str) and len(value) > MAX_MEMO_TEXT):
            raise UnbalancedTransaction("Memo values are whole numbers or short strings.", field="memo")
    return MappingProxyType(memo)


@dataclass(frozen=True)
class LedgerTransaction:
    """Legs posted together or not at all; debits equal credits, checked on creation."""

    transaction_id: str
    kind: str
    occurred_at: int
    legs: tuple[Leg, ...]
    memo: Mapping[str, str | int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _is_name(self.transaction_id):
            raise UnbalancedTransaction("A transaction needs an id.", field="transaction_id")
        if not isinstance(self.kind, str) or not self.kind:
            raise UnbalancedTransaction("A transaction needs a kind.", field="kind")
        object.__setattr__(self, "kind", self.kind.value if isinstance(self.kind, Enum) else self.kind)
        if not is_cents(self.occurred_at) or not 0 <= self.occurred_at <= MAX_OCCURRED_AT:
            raise UnbalancedTransaction("A transaction happens at a time in whole seconds.", field="occurred_at")
        legs = tuple(self.legs) if isinstance(self.legs, (tuple, list)) else ()
        if len(legs) < 2 or not all(isinstance(leg, Leg) for leg in legs):
            raise UnbalancedTransaction("A transaction has at least two legs.", field="legs")
        object.__setattr__(self, "legs", legs)
        if self.total(Direction.DEBIT) != self.total(Direction.CREDIT):
            raise UnbalancedTransaction(
                f"Debits {self.total(Direction.DEBIT)} and credits {self.total(Direction.CREDIT)} differ "
                f"in {self.transaction_id}.", field="legs")
        object.__setattr__(self, "memo", _check_memo(self.memo))

    def total(self, direction: Direction) -> int:
        """The sum of the legs on one side."""
        return sum(leg.amount_cents for leg in self.legs if leg.direction is direction)

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts touched, each once, in the order of their first leg."""
        return tuple(dict.fromkeys(leg.account for leg in self.legs))


@dataclass(frozen=True)
class Balance:
    """What an account has seen: all its debits and all its credits (never netted on write)."""

    debits_cents: int = 0
    credits_cents: int = 0

    @property
    def credit_balance(self) -> int:
        """Credits minus debits: what the platform owes on a helper (liability) account."""
        return self.credits_cents - self.debits_cents

    @property
    def debit_balance(self) -> int:
        """Debits minus credits: what an asset or expense account holds."""
        return self.debits_cents - self.credits_cents

    def plus(self, leg: Leg) -> "Balance":
        if leg.direction is Direction.DEBIT:
            return Balance(self.debits_cents + leg.amount_cents, self.credits_cents)
        return Balance(self.debits_cents, self.credits_cents + leg.amount_cents)


@dataclass(frozen=True)
class LedgerLine:
    """One leg as an account's statement shows it; `position` orders an account's lines."""

    transaction_id: str
    kind: str
    account: str
    direction: Direction
    amount_cents: int
    occurred_at: int
    memo: Mapping[str, str | int]
    leg_index: int = 0

    @property
    def position(self) -> str:
        """The line's sort key (oldest first) and the cursor for `lines(before=...)`."""
        return line_position(self.occurred_at, self.transaction_id, self.leg_index)


def line_position(occurred_at: int, transaction_id: str, leg_index: int) -> str:
    """"{occurred_at:012d}#{transaction_id}#{leg_index:03d}": sorts by time, then transaction, then leg."""
    return f"{occurred_at:012d}#{transaction_id}#{leg_index:03d}"


def lines_of(transaction: LedgerTransaction) -> tuple[LedgerLine, ...]:
    """The transaction's legs as lines, one per leg, in leg order."""
    return tuple(LedgerLine(transaction_id=transaction.transaction_id, kind=transaction.kind, account=leg.account,
                            direction=leg.direction, amount_cents=leg.amount_cents,
                            occurred_at=transaction.occurred_at, memo=transaction.memo, leg_index=index)
                 for index, leg in enumerate(transaction.legs))


# Builders: pure functions from a money event to its transaction.


def _legs(*entries: tuple[str, Direction, int]) -> tuple[Leg, ...]:
    """Legs from (account, direction, cents): zero drops out, a negative amount flips direction."""
    legs = []
    for account, direction, cents in entries:
        if cents:
            legs.append(Leg(account, direction if cents > 0 else direction.opposite, abs(cents)))
    return tuple(legs)


def _balancing(account: str, legs: Iterable[Leg]) -> tuple[str, Direction, int]:
    """The entry on `account` that makes `legs` balance (credit if debits are ahead)."""
    legs = tuple(legs)
    debits = sum(leg.amount_cents for leg in legs if leg.direction is Direction.DEBIT)
    credits = sum(leg.amount_cents for leg in legs if leg.direction is Direction.CREDIT)
    return (account, Direction.CREDIT, debits - credits)


def _memo(memo: Mapping[str, str | int] | None, **facts: str | int) -> dict[str, str | int]:
    """The caller's memo plus the event's facts; the facts win a clash."""
    return {**dict(memo or {}), **facts}


def _helper_account(helper_id: str | None, helper_account: str | None) -> str | None:
    """The helper account a refund or reversal takes back from: pending (default) or payable."""
    if helper_id is None:
        return None
    allowed = (helper_pending(helper_id), helper_payable(helper_id))
    if helper_account is None:
        return allowed[0]
    if helper_account not in allowed:
        raise InvalidInput("Money is taken back from the helper's pending or payable account.",
                           field="helper_account")
    return helper_account


def returned_share(split: Split, refunded_cents: int) -> int:
    """What the helper gives back when `refunded_cents` in all have been refunded: their share in
    proportion to the net (amount - fee), half up, capped at everything they got. A full approved
    refund (amount - fee) takes back all of `helper_cents`."""
    require_cents(refunded_cents, field="refunded_cents")
    if refunded_cents == 0 or split.helper_cents == 0:
        return 0
    if split.net_cents == 0:
        return split.helper_cents
    return min(split.helper_cents, proportion_of(split.helper_cents, refunded_cents, split.net_cents))


def capture_transaction(*, capture_id: str, split: Split, helper_id: str | None, kind: PaymentKind,
                        occurred_at: int, memo: Mapping[str, str | int] | None = None) -> LedgerTransaction:
    """A captured payment: the net into PayPal, the fee an expense, the helper's share pending,
    the rest platform revenue. Without a helper (a plan purchase) all of it is the platform's."""
    kind = PaymentKind(kind)
    helper_cents = split.helper_cents if helper_id is not None else 0
    entries = [
        (PAYPAL, Direction.DEBIT, split.net_cents),
        (PAYPAL_FEES, Direction.DEBIT, split.paypal_fee_cents),
    ]
    if helper_id is not None:
        entries.append((helper_pending(helper_id), Direction.CREDIT, helper_cents))
    legs = _legs(*entries)
    legs += _legs(_balancing(PLATFORM_REVENUE, legs))
    return LedgerTransaction(
        transaction_id=f"capture:{capture_id}", kind=TransactionKind.CAPTURE, occurred_at=occurred_at,
        legs=legs, memo=_memo(memo, capture_id=capture_id, payment_kind=kind.value,
                              amount_cents=split.amount_cents, **({"helper_id": helper_id} if helper_id else {})))


def refund_transaction_id(refund_id: str) -> str:
    """A refund is posted once, under PayPal's refund id."""
    return f"refund:{refund_id}"


def refund_transaction(*, refund_id: str, capture_id: str, split: Split, refunded_cents: int,
                       helper_id: str | None, helper_account: str | None = None, occurred_at: int,
                       memo: Mapping[str, str | int] | None = None,
                       already_refunded_cents: int = 0) -> LedgerTransaction:
    """A refund of `refunded_cents` out of PayPal: the helper gives back their share (see
    `returned_share`; for a later partial refund, pass what earlier refunds gave back in
    `already_refunded_cents` so that the shares add up without double rounding), from
    `helper_account`; the platform covers or keeps the rest."""
    require_cents(refunded_cents, field="refunded_cents")
    require_cents(already_refunded_cents, field="already_refunded_cents")
    if refunded_cents == 0 or already_refunded_cents + refunded_cents > split.amount_cents:
        raise InvalidInput("A refund is more than nothing and at most what was paid.", field="refunded_cents")
    account = _helper_account(helper_id, helper_account)
    share = 0
    if account is not None:
        share = (returned_share(split, already_refunded_cents + refunded_cents)
                 - returned_share(split, already_refunded_cents))
    legs = _legs((PAYPAL, Direction.CREDIT, refunded_cents),
                 *([(account, Direction.DEBIT, share)] if account else []))
    legs += _legs(_balancing(PLATFORM_REVENUE, legs))
    return LedgerTransaction(
        transaction_id=refund_transaction_id(refund_id), kind=TransactionKind.REFUND, occurred_at=occurred_at, legs=legs,
        memo=_memo(memo, refund_id=refund_id, capture_id=capture_id, refunded_cents=refunded_cents,
                   **({"helper_id": helper_id} if helper_id else {})))


def reversal_transaction(*, capture_id: str, split: Split, reversed_cents: int, helper_id: str | None,
                         helper_account: str | None = None, occurred_at: int,
                         memo: Mapping[str, str | int] | None = None,
                         already_refunded_cents: int = 0) -> LedgerTransaction:
    """A chargeback: PayPal takes `reversed_cents` (the gross) back; the helper gives back all
    they still hold of this payment (all of `helper_cents` less what refunds took back), the
    platform the rest."""
    require_cents(reversed_cents, field="reversed_cents")
    require_cents(already_refunded_cents, field="already_refunded_cents")
    if reversed_cents == 0 or reversed_cents > split.amount_cents or already_refunded_cents > split.amount_cents:
        raise InvalidInput("A reversal is more than nothing and at most what was paid.", field="reversed_cents")
    account = _helper_account(helper_id, helper_account)
    share = split.helper_cents - returned_share(split, already_refunded_cents) if account else 0
    legs = _legs((PAYPAL, Direction.CREDIT, reversed_cents),
                 *([(account, Direction.DEBIT, share)] if account else []))
    legs += _legs(_balancing(PLATFORM_REVENUE, legs))
    return LedgerTransaction(
        transaction_id=f"reversal:{capture_id}", kind=TransactionKind.REVERSAL, occurred_at=occurred_at,
        legs=legs, memo=_memo(memo, capture_id=capture_id, reversed_cents=reversed_cents,
                              **({"helper_id": helper_id} if helper_id else {})))


def release_transaction(*, release_id: str, helper_id: str, cents: int, occurred_at: int,
                        memo: Mapping[str, str | int] | None = None) -> LedgerTransaction:
    """A helper's pending earnings become payable (their refund window has closed)."""
    require_cents(cents, field="cents")
    if cents == 0:
        raise InvalidInput("A release moves more than nothing.", field="cents")
    legs = _legs((helper_pending(helper_id), Direction.DEBIT, cents),
                 (helper_payable(helper_id), Direction.CREDIT, cents))
    return LedgerTransaction(transaction_id=f"release:{release_id}", kind=TransactionKind.RELEASE,
                             occurred_at=occurred_at, legs=legs,
                             memo=_memo(memo, release_id=release_id, helper_id=helper_id))


def _payout_amounts(cents: int, fee_cents: int = 0) -> None:
    require_cents(cents, field="cents")
    require_cents(fee_cents, field="fee_cents")
    if cents == 0:
        raise InvalidInput("A payout moves more than nothing.", field="cents")


def payout_transaction(*, item_id: str, run_id: str, helper_id: str, cents: int, occurred_at: int,
                       memo: Mapping[str, str | int] | None = None) -> LedgerTransaction:
    """A payout run sends a helper's payable balance to PayPal: it is in transit until PayPal
    says how the item ended."""
    _payout_amounts(cents)
    legs = _legs((helper_payable(helper_id), Direction.DEBIT, cents), (PAYOUTS_IN_TRANSIT, Direction.CREDIT, cents))
    return LedgerTransaction(transaction_id=f"payout:{item_id}", kind=TransactionKind.PAYOUT,
                             occurred_at=occurred_at, legs=legs,
                             memo=_memo(memo, item_id=item_id, run_id=run_id, helper_id=helper_id))


def payout_paid_transaction(*, item_id: str, helper_id: str, cents: int, fee_cents: int, occurred_at: int,
                            memo: Mapping[str, str | int] | None = None) -> LedgerTransaction:
    """PayPal paid the item: the money leaves the PayPal account, with PayPal's payout fee (the
    platform's expense, never taken from the helper)."""
    _payout_amounts(cents, fee_cents)
    legs = _legs((PAYOUTS_IN_TRANSIT, Direction.DEBIT, cents), (PAYPAL_FEES, Direction.DEBIT, fee_cents),
                 (PAYPAL, Direction.CREDIT, cents + fee_cents))
    return LedgerTransaction(transaction_id=f"payout_paid:{item_id}", kind=TransactionKind.PAYOUT_PAID,
                             occurred_at=occurred_at, legs=legs,
                             memo=_memo(memo, item_id=item_id, helper_id=helper_id, fee_cents=fee_cents))


def payout_return_transaction(*, item_id: str, helper_id: str, cents: int, occurred_at: int,
                              memo: Mapping[str, str | int] | None = None) -> LedgerTransaction:
    """The item did not reach the helper (failed, returned, unclaimed): back to payable, for the
    next run once they have fixed their PayPal email."""
    _payout_amounts(cents)
    legs = _legs((PAYOUTS_IN_TRANSIT, Direction.DEBIT, cents), (helper_payable(helper_id), Direction.CREDIT, cents))
    return LedgerTransaction(transaction_id=f"payout_return:{item_id}", kind=TransactionKind.PAYOUT_RETURN,
                             occurred_at=occurred_at, legs=legs,
                             memo=_memo(memo, item_id=item_id, helper_id=helper_id))
