"""Identity methods and how each is carried out."""

from __future__ import annotations

from enum import StrEnum


class Method(StrEnum):
    sms_otp = "sms_otp"
    email_otp = "email_otp"
    id_document = "id_document"  # checked by an agent or a store clerk, who is recorded
    account_pin = "account_pin"
    bankid = "bankid"  # Norway's national eID, through an adapter
    gosuslugi = "gosuslugi"  # Russia's state services login, through an adapter
    id_porten = "id_porten"  # Norway's public eID gateway (MinID, BankID, Buypass), over OIDC


CODE_METHODS = frozenset({Method.sms_otp, Method.email_otp})
# Checked by an OpenID Connect provider (`verification.ports.IdentityProvider`).
EID_METHODS = frozenset({Method.bankid, Method.gosuslugi, Method.id_porten})
ATTESTED_METHODS = frozenset(
    {Method.id_document, Method.account_pin, Method.bankid, Method.gosuslugi}
)

# Pack identity names that a one-time code by SMS or e-mail satisfies.
PACK_NAMES: dict[str, Method] = {
    "sms_otp": Method.sms_otp,
    "sms_code": Method.sms_otp,
    "email_otp": Method.email_otp,
    "email_code": Method.email_otp,
    "passport_in_person": Method.id_document,
    "id_document": Method.id_document,
    "passport": Method.id_document,
    "account_pin": Method.account_pin,
    "bankid": Method.bankid,
    "gosuslugi": Method.gosuslugi,
    "id_porten": Method.id_porten,
}


def methods_from_pack(names: tuple[str, ...]) -> tuple[Method, ...]:
    """The pack's identity names as methods simexit can run; unknown names fall back to a document check."""
    seen: list[Method] = []
    for name in names:
        method = PACK_NAMES.get(name, Method.id_document)
        if method not in seen:
            seen.append(method)
    return tuple(seen)
