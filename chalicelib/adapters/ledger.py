"""The ledger's storage: each transaction posted once, atomically with its lines and the
accounts' balances (DynamoDB TransactWriteItems), and an in-memory twin with the same rules.

DynamoDB allows at most 100 items in one TransactWriteItems. Posting writes the transaction
(1 item), one line per leg, and one balance update per distinct account (two operations on one
item are not allowed in a transaction, so an account's legs are added up into one update):
`1 + legs + accounts <= 100`, i.e. at most 49 legs on 49 different accounts. Bigger transactions
are refused with `TransactionTooLarge` by both stores before anything is written.
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from typing import Callable, Iterable, Protocol

from chalicelib.domain.errors import DomainError, InvalidInput, ServiceUnavailable
from chalicelib.domain.ledger import (
    Balance,
    Direction,
    LedgerLine,
    LedgerTransaction,
    Leg,
    is_payable_account,
    lines_of,
)

MAX_TRANSACT_ITEMS = 100  # DynamoDB's limit on one TransactWriteItems
MAX_LINES_PAGE = 1000
PAYEE = "payable"  # the by_payee index's one key
POST_ATTEMPTS = 5  # tries when concurrent transactions on the same balances conflict

__all__ = ["LedgerStore", "DynamoLedgerStore", "InMemoryLedgerStore", "LedgerLine", "TransactionTooLarge",
           "transact_items_needed", "MAX_TRANSACT_ITEMS"]


class TransactionTooLarge(DomainError):
    """A ledger transaction that would not fit in one DynamoDB transaction: never posted."""

    code = "ledger_transaction_too_large"


class LedgerStore(Protocol):
    def post(self, txn: LedgerTransaction) -> bool: ...
    def balance(self, account: str) -> Balance: ...
    def balances(self, accounts: Iterable[str]) -> dict[str, Balance]: ...
    def lines(self, account: str, *, limit: int = 100, before: str | None = None) -> list[LedgerLine]: ...
    def transaction(self, transaction_id: str) -> LedgerTransaction | None: ...
    def payable_accounts(self, *, after: str | None = None, limit: int = 1000) -> list[str]: ...
    def transaction_ids_at(self, account: str, prefix: str) -> set[str]: ...


def transact_items_needed(txn: LedgerTransaction) -> int:
    """Items one posting writes: the transaction, a line per leg, a balance per account."""
    return 1 + len(txn.legs) + len(txn.accounts)


def _check_fits(txn: LedgerTransaction) -> None:
    if not isinstance(txn, LedgerTransaction):
        raise InvalidInput("Only a LedgerTransaction can be posted.", field="transaction")
    needed = transact_items_needed(txn)
    if needed > MAX_TRANSACT_ITEMS:
        raise TransactionTooLarge(
            f"{txn.transaction_id} needs {needed} writes; one transaction holds at most {MAX_TRANSACT_ITEMS}.")


def _check_page(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LINES_PAGE:
        raise InvalidInput(f"A page holds 1 to {MAX_LINES_PAGE} lines.", field="limit")


def _changes(txn: LedgerTransaction) -> dict[str, Balance]:
    """Each account's debits and credits in this transaction, added up."""
    changes: dict[str, Balance] = {}
    for leg in txn.legs:
        changes[leg.account] = changes.get(leg.account, Balance()).plus(leg)
    return changes


def _legs_json(txn: LedgerTransaction) -> list[dict]:
    return [{"account": leg.account, "direction": leg.direction.value, "amount_cents": leg.amount_cents}
            for leg in txn.legs]


class DynamoLedgerStore:
    """The ledger in three tables: transactions, lines (by account) and balances (by account)."""

    def __init__(self, connection, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._connection = connection  # a pynamodb Connection, for transactions
        self._sleep = sleep

    def post(self, txn: LedgerTransaction) -> bool:
        """Posts the transaction, its lines and its balance changes in one TransactWriteItems;
        False (and nothing written) if its id was posted before, even by a concurrent caller."""
        from pynamodb.exceptions import TransactWriteError

        _check_fits(txn)
        for attempt in range(POST_ATTEMPTS):
            try:
                self._write(txn)
                return True
            except TransactWriteError as error:
                if error.cause_response_code != "TransactionCanceledException":
                    raise
                reasons = [reason.code if reason else None for reason in error.cancellation_reasons or []]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return False  # the transaction item exists: posted before
                if "TransactionConflict" not in reasons:
                    raise
            if attempt + 1 < POST_ATTEMPTS:  # another transaction held a balance: back off, jittered
                self._sleep(random.uniform(0, 0.05 * 2**attempt))
        raise ServiceUnavailable("The ledger is busy; try again in a moment.")

    def _write(self, txn: LedgerTransaction) -> None:
        from pynamodb.transactions import TransactWrite

        from chalicelib.adapters.tables.money import LedgerBalanceRecord, LedgerLineRecord, LedgerTransactionRecord

        memo = dict(txn.memo)
        # A fresh token per attempt: botocore's own retries of this very request (a timeout after
        # DynamoDB committed) then succeed instead of failing our condition and reading as a replay.
        with TransactWrite(connection=self._connection, client_request_token=uuid.uuid4().hex) as write:
            # first: its cancellation reason (index 0) tells a replay from a conflict
            write.save(LedgerTransactionRecord(txn.transaction_id, kind=txn.kind, occurred_at=txn.occurred_at,
                                               legs=_legs_json(txn), memo=memo),
                       condition=LedgerTransactionRecord.transaction_id.does_not_exist())
            for line in lines_of(txn):
                write.save(LedgerLineRecord(line.account, line.position, transaction_id=line.transaction_id,
                                            kind=line.kind, direction=line.direction.value,
                                            amount_cents=line.amount_cents, occurred_at=line.occurred_at,
                                            leg_index=line.leg_index, memo=memo))
            for account, change in _changes(txn).items():
                actions = [LedgerBalanceRecord.debits_cents.add(change.debits_cents),
                           LedgerBalanceRecord.credits_cents.add(change.credits_cents)]
                if is_payable_account(account):  # listed for the payout run (a sparse index)
                    actions.append(LedgerBalanceRecord.payee.set(PAYEE))
                write.update(LedgerBalanceRecord(account), actions=actions)

    def balance(self, account: str) -> Balance:
        return self.balances([account])[account]

    def balances(self, accounts: Iterable[str]) -> dict[str, Balance]:
        """Each account's balance (zero if never posted to), by BatchGetItem, strongly consistent."""
        from chalicelib.adapters.tables.money import LedgerBalanceRecord

        wanted = list(dict.fromkeys(accounts))
        found = {account: Balance() for account in wanted}
        if not wanted:
            return found
        for record in LedgerBalanceRecord.batch_get(wanted, consistent_read=True):
            found[record.account] = Balance(int(record.debits_cents or 0), int(record.credits_cents or 0))
        return found

    def lines(self, account: str, *, limit: int = 100, before: str | None = None) -> list[LedgerLine]:
        """An account's lines, newest first; pass the last line's `position` as `before` for more."""
        from chalicelib.adapters.tables.money import LedgerLineRecord

        _check_page(limit)
        condition = LedgerLineRecord.position < before if before is not None else None
        records = LedgerLineRecord.query(account, condition, scan_index_forward=False, limit=limit,
                                         page_size=limit, consistent_read=True)
        return [LedgerLine(transaction_id=r.transaction_id, kind=r.kind, account=r.account,
                           direction=Direction(r.direction), amount_cents=int(r.amount_cents),
                           occurred_at=int(r.occurred_at), memo=dict(r.memo or {}), leg_index=int(r.leg_index))
                for r in records]

    def payable_accounts(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Helpers' payable accounts in account order, a page at a time from a sparse index (one
        Query a page, never a Scan); an account once paid stays listed with a zero balance."""
        from chalicelib.adapters.tables.money import LedgerBalanceRecord

        _check_page(limit)
        condition = LedgerBalanceRecord.account > after if after is not None else None
        return [record.account for record in LedgerBalanceRecord.by_payee.query(
            PAYEE, condition, limit=limit, page_size=limit, attributes_to_get=["account"])]

    def transaction_ids_at(self, account: str, prefix: str) -> set[str]:
        """The transactions with a line on `account` whose position starts with `prefix` (a time
        and the start of an id: a payout run's postings), by strongly consistent Query pages."""
        from chalicelib.adapters.tables.money import LedgerLineRecord

        records = LedgerLineRecord.query(account, LedgerLineRecord.position.startswith(prefix), consistent_read=True,
                                         page_size=MAX_LINES_PAGE, attributes_to_get=["transaction_id"])
        return {record.transaction_id for record in records}

    def transaction(self, transaction_id: str) -> LedgerTransaction | None:
        from chalicelib.adapters.tables.money import LedgerTransactionRecord

        try:
            record = LedgerTransactionRecord.get(transaction_id, consistent_read=True)
        except LedgerTransactionRecord.DoesNotExist:
            return None
        return LedgerTransaction(
            transaction_id=record.transaction_id, kind=record.kind, occurred_at=int(record.occurred_at),
            legs=tuple(Leg(leg["account"], Direction(leg["direction"]), int(leg["amount_cents"]))
                       for leg in record.legs),
            memo=dict(record.memo or {}))


class InMemoryLedgerStore:
    """The twin: the same idempotence, atomicity and limits, behind one lock."""

    def __init__(self) -> None:
        self.transactions: dict[str, LedgerTransaction] = {}
        self.account_lines: dict[str, dict[str, LedgerLine]] = {}
        self.account_balances: dict[str, Balance] = {}
        self._lock = threading.Lock()

    def post(self, txn: LedgerTransaction) -> bool:
        _check_fits(txn)
        with self._lock:
            if txn.transaction_id in self.transactions:
                return False
            self.transactions[txn.transaction_id] = txn
            for line in lines_of(txn):
                self.account_lines.setdefault(line.account, {})[line.position] = line
            for account, change in _changes(txn).items():
                now = self.account_balances.get(account, Balance())
                self.account_balances[account] = Balance(now.debits_cents + change.debits_cents,
                                                         now.credits_cents + change.credits_cents)
            return True

    def balance(self, account: str) -> Balance:
        return self.balances([account])[account]

    def balances(self, accounts: Iterable[str]) -> dict[str, Balance]:
        with self._lock:
            return {account: self.account_balances.get(account, Balance()) for account in accounts}

    def lines(self, account: str, *, limit: int = 100, before: str | None = None) -> list[LedgerLine]:
        _check_page(limit)
        with self._lock:
            lines = list(self.account_lines.get(account, {}).values())
        newest_first = sorted((line for line in lines if before is None or line.position < before),
                              key=lambda line: line.position, reverse=True)
        return newest_first[:limit]

    def transaction(self, transaction_id: str) -> LedgerTransaction | None:
        return self.transactions.get(transaction_id)

    def payable_accounts(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        _check_page(limit)
        with self._lock:
            accounts = sorted(a for a in self.account_balances if is_payable_account(a) and (after is None or a > after))
        return accounts[:limit]

    def transaction_ids_at(self, account: str, prefix: str) -> set[str]:
        with self._lock:
            lines = list(self.account_lines.get(account, {}).values())
        return {line.transaction_id for line in lines if line.position.startswith(prefix)}
