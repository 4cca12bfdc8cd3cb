"""PayPal's error issues for the Orders v2 and Payments v2 operations the local sandbox answers:
for each operation, the HTTP status each issue comes with and the description PayPal's OpenAPI
spec fixes for it (the tests check every one against the spec), and `issue_error`, which builds
PayPal's error body for an issue."""
from __future__ import annotations

import json
from typing import Any

from infra.local.paypal_core import ORDERS_DOCS, PAYMENTS_DOCS, PayPalError, info_link

CREATE = "POST /v2/checkout/orders"
SHOW_ORDER = "GET /v2/checkout/orders/{id}"
PATCH_ORDER = "PATCH /v2/checkout/orders/{id}"
CAPTURE = "POST /v2/checkout/orders/{id}/capture"
TRACK = "POST /v2/checkout/orders/{id}/track"
SHOW_CAPTURE = "GET /v2/payments/captures/{capture_id}"
REFUND = "POST /v2/payments/captures/{capture_id}/refund"
SHOW_REFUND = "GET /v2/payments/refunds/{refund_id}"

# -- PayPal's issues, per operation and status, with the descriptions PayPal's spec fixes --------
_ORDERS_400 = {
    "MISSING_REQUIRED_PARAMETER": "A required parameter is missing.",
    "INVALID_PARAMETER_SYNTAX": "The value of a field does not conform to the expected format.",
    "INVALID_PARAMETER_VALUE": "A parameter value is not valid.",
    "INVALID_STRING_LENGTH": "The value of a field is either too short or too long",
    "INVALID_ARRAY_MAX_ITEMS": "The number of items in an array parameter is too large.",
    "INVALID_ARRAY_MIN_ITEMS": "The number of items in an array parameter is too small.",
    "MALFORMED_REQUEST_JSON": "The request JSON is not well formed.",
    "NOT_SUPPORTED": "This field is not currently supported.",
}
_PAYER_ACCOUNT = {
    "PAYER_ACCOUNT_RESTRICTED": "PAYER_ACCOUNT_RESTRICTED",
    "PAYER_ACCOUNT_LOCKED_OR_CLOSED": "The payer account cannot be used for this transaction.",
    "TRANSACTION_REFUSED": "The request was refused.",
    "INSTRUMENT_DECLINED": "The instrument presented  was either declined by the processor or bank, "
                           "or it can't be used for this payment.",
    "DUPLICATE_INVOICE_ID": "Duplicate Invoice ID detected. To avoid a potential duplicate transaction "
                            "your account setting requires that Invoice Id be unique for each transaction.",
    "TRANSACTION_LIMIT_EXCEEDED": "Total payment amount exceeded transaction limit.",
    "COMPLIANCE_VIOLATION": "Transaction is declined due to compliance violation.",
    "PAYEE_BLOCKED_TRANSACTION": "The Fraud settings for this seller are such that this payment cannot "
                                 "be executed.",
    "TRANSACTION_BLOCKED_BY_PAYEE": "Transaction blocked by Payee\u2019s Fraud Protection settings.",
}
_NOT_PERMITTED = {"PERMISSION_DENIED": "You do not have permission to access or perform operations on "
                                       "this resource."}
_NOT_FOUND = {"INVALID_RESOURCE_ID": "Specified resource ID does not exist. Please check the resource ID "
                                     "and try again."}
ISSUES: dict[str, dict[int, dict[str, str]]] = {
    CREATE: {
        400: _ORDERS_400,
        422: {
            "AMOUNT_MISMATCH": "Should equal item_total + tax_total + shipping + handling + insurance - "
                               "shipping_discount - discount.",
            "CANNOT_BE_NEGATIVE": "Must be greater than or equal to 0. If the currency supports decimals, "
                                  "only two decimal place precision is supported.",
            "CANNOT_BE_ZERO_OR_NEGATIVE": "Must be greater than zero. If the currency supports decimals, "
                                          "only two decimal place precision is supported.",
            "DECIMAL_PRECISION": "If the currency supports decimals, only two decimal place precision is "
                                 "supported.",
            "DUPLICATE_REFERENCE_ID": "`reference_id` must be unique if multiple `purchase_unit` are "
                                      "provided.",
            "INVALID_CURRENCY_CODE": "Currency code is invalid or is not currently supported. Please refer "
                                     "https://developer.paypal.com/api/rest/reference/currency-codes/ for "
                                     "list of supported currency codes.",
            "ITEM_TOTAL_MISMATCH": "Should equal sum of (unit_amount * quantity) across all items for a "
                                   "given purchase_unit.",
            "ITEM_TOTAL_REQUIRED": "If item details are specified (items.unit_amount and items.quantity) "
                                   "corresponding amount.breakdown.item_total is required.",
            "MAX_VALUE_EXCEEDED": "Should be less than or equal to 999999999999999.99.",
            "MULTI_CURRENCY_ORDER": "Multiple differing values of currency_code are not supported. Entire "
                                    "Order request must have the same currency_code.",
            "REFERENCE_ID_REQUIRED": "'reference_id' is required for each 'purchase_unit' if multiple "
                                     "'purchase_unit' are provided.",
            "AUTH_CAPTURE_NOT_ENABLED": "Authorization and Capture feature is not enabled for the merchant. "
                                        "Make sure that the recipient of the funds is a verified business "
                                        "account.",
            "PAYER_CANNOT_PAY": "Combination of payer and payee settings mean that this buyer cannot pay "
                                "this seller.",
            "PAYEE_ACCOUNT_RESTRICTED": "The merchant account is restricted.",
            "PAYEE_ACCOUNT_LOCKED_OR_CLOSED": "The merchant account is locked or closed.",
            "TAX_TOTAL_MISMATCH": "Should equal sum of (tax * quantity) across all items for a given "
                                  "purchase_unit.",
            "TAX_TOTAL_REQUIRED": "If item details are specified (items.tax_total and items.quantity) "
                                  "corresponding amount.breakdown.tax_total is required.",
            "MULTIPLE_ITEM_CATEGORIES": "For a given 'purchase_unit' the 'items.category' could be either "
                                        "\"PHYSICAL_GOODS\" and/or \"DIGITAL_GOODS\" or just \"DONATION\".  "
                                        "'items.category' as \"DONATION\" cannot be combined with items with "
                                        "either \"PHYSICAL_GOODS\" or \"DIGITAL_GOODS\".",
            "DONATION_ITEMS_NOT_SUPPORTED": "If 'purchase_unit' has \"DONATION\" as the 'items.category' then the "
                                            "Order can at most have one purchase_unit. Multiple purchase_units are "
                                            "not supported if either of them have at least one items with category "
                                            "as \"DONATION\".",
            "CITY_REQUIRED": "The specified country requires a city (address.admin_area_2).",
            "POSTAL_CODE_REQUIRED": "The specified country requires a postal code.",
            "SHIPPING_ADDRESS_INVALID": "Provided shipping address is invalid.",
            **_PAYER_ACCOUNT,
        },
    },
    SHOW_ORDER: {404: _NOT_FOUND},
    PATCH_ORDER: {
        400: {
            "MALFORMED_REQUEST_JSON": "The request JSON is not well formed.",
            "INVALID_PARAMETER_SYNTAX": "The value of a field does not conform to the expected format.",
            "INVALID_PARAMETER_VALUE": "The value of a field is invalid.",
            "INVALID_STRING_LENGTH": "The value of a field is either too short or too long",
            "MISSING_REQUIRED_PARAMETER": "A required field / parameter is missing.",
            "INVALID_PATCH_OPERATION": "The operation cannot be honored. Cannot add a property that's already "
                                       "present, use replace. Cannot remove a property thats not present, use add. "
                                       "Cannot replace a property thats not present, use add.",
        },
        404: _NOT_FOUND,
        422: {
            "CANNOT_BE_ZERO_OR_NEGATIVE": "Must be greater than zero. If the currency supports decimals, only two "
                                          "decimal place precision is supported.",
            "DECIMAL_PRECISION": "If the currency supports decimals, only two decimal place precision is supported.",
            "INVALID_CURRENCY_CODE": "Currency code is invalid or is not currently supported. Please refer "
                                     "https://developer.paypal.com/api/rest/reference/currency-codes/ for list of "
                                     "supported currency codes.",
            "MAX_VALUE_EXCEEDED": "Should be less than or equal to 999999999999999.99.",
            "MULTI_CURRENCY_ORDER": "Multiple differing values of currency_code are not supported. Entire Order "
                                    "request must have the same currency_code.",
            "INVALID_JSON_POINTER_FORMAT": "Path should be a valid JSON Pointer https://tools.ietf.org/html/rfc6901 "
                                           "that references a location within the request where the operation is "
                                           "performed.",
            "NOT_PATCHABLE": "Cannot be patched.",
            "PATCH_VALUE_REQUIRED": "Please specify a 'value' to for the field that is being patched.",
            "PATCH_PATH_REQUIRED": "Please specify a 'path' for the field for which the operation needs to be "
                                   "performed.",
            "REFERENCE_ID_NOT_FOUND": "Filter expression value is incorrect. Please check the value of the "
                                      "reference_id and try again.",
            "ORDER_ALREADY_COMPLETED": "The order cannot be patched after it is completed.",
        },
    },
    CAPTURE: {
        400: {key: value for key, value in _ORDERS_400.items() if key in (
            "INVALID_PARAMETER_SYNTAX", "INVALID_PARAMETER_VALUE", "INVALID_STRING_LENGTH",
            "MALFORMED_REQUEST_JSON")} | {"MISSING_REQUIRED_PARAMETER": "A required field / parameter is missing"},
        403: _NOT_PERMITTED,
        404: _NOT_FOUND,
        422: {
            "ORDER_NOT_APPROVED": "Payer has not yet approved the Order for payment. Please redirect the "
                                  "payer to the 'rel':'approve' url returned as part of the HATEOAS links "
                                  "within the Create Order call or provide a valid `payment_source` in the "
                                  "request.",
            "ORDER_ALREADY_CAPTURED": "Order already captured.If 'intent=CAPTURE' only one capture per order "
                                      "is allowed.",
            "PAYER_CANNOT_PAY": "Payer cannot pay for this transaction. Please contact the payer to find "
                                "other ways to pay for this transaction.",
            "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED": "You have exceeded the maximum number of payment "
                                                       "attempts.",
            "TRANSACTION_RECEIVING_LIMIT_EXCEEDED": "The transaction exceeds the receiver's receiving limit.",
            "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING": "Transaction failed. Redirect the payer to select "
                                                    "another funding source.",
            "PAYER_ACTION_REQUIRED": "Transaction cannot complete successfully, instruct the buyer to "
                                     "return to PayPal.",
            **_PAYER_ACCOUNT,
        },
    },
    TRACK: {
        400: {
            "MISSING_REQUIRED_PARAMETER": "A required field / parameter is missing.",
            "INVALID_STRING_LENGTH": "The value of a field is either too short or too long.",
            "INVALID_PARAMETER_VALUE": "A parameter value is not valid.",
            "INVALID_PARAMETER_SYNTAX": "The value of a field does not conform to the expected format.",
        },
        403: _NOT_PERMITTED,
        404: _NOT_FOUND,
        422: {
            "CAPTURE_STATUS_NOT_VALID": "Invalid capture status. Tracker information can only be added to "
                                        "captures in `COMPLETED` state.",
            "ITEM_SKU_MISMATCH": "Item sku must match one of the items sku that was provided during order "
                                 "creation.",
            "CAPTURE_ID_NOT_FOUND": "Specified capture ID does not exist. Check the capture ID and try again.",
            "MSP_NOT_SUPPORTED": "Multiple purchase units are not supported for this operation.",
        },
    },
    SHOW_CAPTURE: {403: _NOT_PERMITTED, 404: _NOT_FOUND},
    SHOW_REFUND: {403: _NOT_PERMITTED, 404: _NOT_FOUND},
    REFUND: {  # PayPal's spec leaves most refund descriptions free: these are ours
        400: {
            "MISSING_REQUIRED_PARAMETER": "A required field or parameter is missing.",
            "INVALID_PARAMETER_SYNTAX": "The value of a field does not conform to the expected format.",
            "INVALID_STRING_LENGTH": "The value of a field is either too short or too long.",
        },
        403: _NOT_PERMITTED,
        404: _NOT_FOUND,
        409: {"PREVIOUS_REQUEST_IN_PROGRESS": "A previous request on this resource is currently in "
                                              "progress. Please wait for sometime and try again. It is best "
                                              "to space out the initial and the subsequent request(s) to "
                                              "avoid receiving this error."},
        422: {
            "CANNOT_BE_ZERO_OR_NEGATIVE": "Must be greater than zero.",
            "DECIMAL_PRECISION": "If the currency supports decimals, only two decimal place precision is "
                                 "supported.",
            "DECIMALS_NOT_SUPPORTED": "Currency does not support decimals.",
            "INVALID_CURRENCY_CODE": "Currency code is invalid or is not currently supported.",
            "CAPTURE_FULLY_REFUNDED": "The capture has already been fully refunded",
            "REFUND_CAPTURE_CURRENCY_MISMATCH": "Refund must be in the same currency as the capture",
            "REFUND_NOT_ALLOWED": "Capture cannot be refunded.",
            "REFUND_TIME_LIMIT_EXCEEDED": "You are over the time limit to perform a refund on this capture",
            "REFUND_AMOUNT_EXCEEDED": "The refund amount must be less than or equal to the capture amount "
                                      "that has not yet been refunded.",
            "REFUND_FAILED_INSUFFICIENT_FUNDS": "Capture could not be refunded due to insufficient funds. "
                                                "Please check to see if you have sufficient funds in your "
                                                "PayPal account or if the bank account linked to your PayPal "
                                                "account is verified and has sufficient funds.",
            "PARTIAL_REFUND_NOT_ALLOWED": "You cannot do a refund less than the original capture amount.",
            "MAX_NUMBER_OF_REFUNDS_EXCEEDED": "You have exceeded the maximum number of refund attempts for "
                                              "this capture.",
            "PENDING_CAPTURE": "Cannot initiate a refund as the capture is pending. Capture is typically "
                               "pending when the payer has funded the transaction using e-check/bank funded.",
            "DUPLICATE_INVOICE_ID": "Invoice ID was previously used to refund a capture.",
            "REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK": "Refunds are not allowed on this capture due to a "
                                                      "chargeback on the card or bank. Please contact the "
                                                      "payee to resolve the chargeback.",
            "PAYEE_ACCOUNT_RESTRICTED": "Payee account is restricted.",
        },
    },
}
ERROR_NAMES = {
    400: ("INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema."),
    403: ("NOT_AUTHORIZED", "Authorization failed due to insufficient permissions."),
    404: ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
    409: ("RESOURCE_CONFLICT", "The server has detected a conflict while processing this request."),
    422: ("UNPROCESSABLE_ENTITY", "The requested action could not be performed, semantically incorrect, "
                                  "or failed business validation."),
}
DOCS = {CREATE: ORDERS_DOCS, SHOW_ORDER: ORDERS_DOCS, PATCH_ORDER: ORDERS_DOCS, CAPTURE: ORDERS_DOCS,
        TRACK: ORDERS_DOCS, SHOW_CAPTURE: PAYMENTS_DOCS, REFUND: PAYMENTS_DOCS, SHOW_REFUND: PAYMENTS_DOCS}
# Issues after which PayPal sends the payer back to pick another way to pay (a `redirect` link).
REDIRECT_ISSUES = ("INSTRUMENT_DECLINED", "PAYER_ACTION_REQUIRED", "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING")


def issue_error(operation: str, issue: str, *, field: str | None = None, value: Any = None,
                location: str | None = "body", extra_links: tuple[dict, ...] = ()) -> PayPalError:
    """PayPal's error for `issue` on `operation`, with the status, name, message and
    description PayPal's spec gives that issue there. `location` is body, path or query (the
    spec has no name for headers: a header's problem names the header as `field`, no location)."""
    for status, issues in ISSUES[operation].items():
        if issue in issues:
            break
    else:
        raise KeyError(f"{operation} has no issue {issue}")
    name, message = ERROR_NAMES[status]
    detail: dict[str, Any] = {"issue": issue}
    if field is not None:
        detail["field"] = field
    if value is not None:
        detail["value"] = value if isinstance(value, str) else json.dumps(value)
    if location is not None and (field is not None or status in (400, 422)):
        detail["location"] = location
    detail["description"] = issues[issue]
    return PayPalError(status, name, message, details=[detail],
                       links=[info_link(DOCS[operation], issue), *extra_links])


def issue_for(operation: str, preferred: str, fallback: str) -> str:
    """`preferred` if the operation knows that issue, else `fallback` (e.g. DECIMALS_NOT_SUPPORTED
    exists for refunds, not for orders, which say DECIMAL_PRECISION)."""
    return preferred if any(preferred in issues for issues in ISSUES[operation].values()) else fallback
