"""Refusals of the TM Forum façade."""

from __future__ import annotations

from simexit.errors import Conflict, Forbidden, InvalidInput, NotFound


class OrderNotFound(NotFound):
    code = "product_order_not_found"


class ProductNotFound(NotFound):
    code = "product_not_found"


class CancellationNotFound(NotFound):
    code = "cancel_product_order_not_found"


class FilterNotSupported(InvalidInput):
    code = "filter_not_supported"
    status = 400


class FilterValueInvalid(InvalidInput):
    code = "filter_value_invalid"
    status = 400


class OrderInvalid(InvalidInput):
    code = "product_order_invalid"
    status = 400


class OrderNotCancellable(Conflict):
    code = "product_order_not_cancellable"


class SubscriberNotAllowed(Forbidden):
    code = "tmf_needs_api_key"


class HubNotFound(NotFound):
    code = "hub_not_found"


class MessageNotFound(NotFound):
    code = "communication_message_not_found"


class OrderReferenceUnknown(InvalidInput):
    """A request names an order the caller does not have (TMF622 lists 400 for it, not 404)."""

    code = "product_order_unknown"
    status = 400


class MessageNotDeletable(Conflict):
    """A message simexit sent by itself is part of the notification log, which nobody edits."""

    code = "communication_message_not_deletable"
