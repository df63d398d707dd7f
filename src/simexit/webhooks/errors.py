"""Refusals of the webhook endpoint use cases."""

from __future__ import annotations

from simexit.errors import Conflict, InvalidInput, NotFound
from simexit.webhooks import rules


class EndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"


class EndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"


class DeliveryInProgress(Conflict):
    code = "webhook_delivery_in_progress"


class TooManyEndpoints(Conflict):
    code = "too_many_webhook_endpoints"


class UrlInvalid(InvalidInput):
    code = rules.URL_INVALID


class UrlHttpsRequired(InvalidInput):
    code = rules.URL_HTTPS_REQUIRED


class UrlCredentials(InvalidInput):
    code = rules.URL_CREDENTIALS


class UrlFragment(InvalidInput):
    code = rules.URL_FRAGMENT


class UrlPrivateHost(InvalidInput):
    code = rules.URL_PRIVATE_HOST


_BY_RULE: dict[str, tuple[type[InvalidInput], str]] = {
    rules.URL_INVALID: (UrlInvalid, "must be an absolute http(s) URL with a host"),
    rules.URL_HTTPS_REQUIRED: (
        UrlHttpsRequired,
        "must use https (plain http only for a loopback receiver in the local and test "
        "environments)",
    ),
    rules.URL_CREDENTIALS: (UrlCredentials, "must not hold a user name or password"),
    rules.URL_FRAGMENT: (UrlFragment, "must not have a #fragment"),
    rules.URL_PRIVATE_HOST: (
        UrlPrivateHost,
        "must not point at a loopback, private or link-local address",
    ),
}


def check_url(url: str, *, allow_loopback_http: bool) -> None:
    rule = rules.url_rule_broken(url, allow_loopback_http=allow_loopback_http)
    if rule is not None:
        error, message = _BY_RULE[rule]
        raise error(f"the URL {message}", field="url", rule=rule)
