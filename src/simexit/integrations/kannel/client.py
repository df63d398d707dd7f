"""SMS through Kannel's smsbox `sendsms` HTTP interface.

Texts are sent as UTF-8 (`charset=UTF-8`) and Kannel converts them: `coding=0` for GSM-7, or
`coding=2` for UCS-2 when the text has characters outside the GSM alphabet (Cyrillic, Chinese).
Long texts are concatenated by Kannel; its `sendsms-user` group needs `max-messages` at least
`MAX_SEGMENTS`, or Kannel would cut the message after the first part. `dlr-mask=31` asks for
every delivery report, sent to `dlr_url` with the notification id and the report type (`%d`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from simexit.notifications.ports import DeliveryError, OutgoingSms, SendReceipt
from simexit.notifications.sms_encoding import SmsEncoding

MAX_SEGMENTS = 6
DLR_MASK_ALL = (
    31  # 1 delivered | 2 undelivered | 4 queued at SMSC | 8 accepted by SMSC | 16 refused by SMSC
)
_ACCEPTED_PREFIXES = ("0:", "3:")  # "0: Accepted for delivery", "3: Queued for later delivery"


@dataclass(frozen=True, slots=True)
class KannelConfig:
    sendsms_url: str  # e.g. http://127.0.0.1:13013/cgi-bin/sendsms
    username: str
    password: str = field(repr=False)
    sender: str = "simexit"
    dlr_url: str | None = None  # our callback; the id and %d (report type) are appended
    timeout_seconds: float = 15.0


def coding_for(encoding: SmsEncoding) -> int:
    return 0 if encoding is SmsEncoding.gsm7 else 2


def dlr_callback_url(base: str, delivery_id: str) -> str:
    # Kannel replaces %d with the report type and %A with the SMSC's answer; keep them literal.
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode({'delivery': delivery_id})}&type=%d&answer=%A"


class KannelSmsSender:
    name = "kannel"

    def __init__(self, config: KannelConfig, *, client: httpx.Client | None = None) -> None:
        self.config = config
        self._client = client or httpx.Client(timeout=config.timeout_seconds)

    def send(self, message: OutgoingSms) -> SendReceipt:
        if message.segments > MAX_SEGMENTS:
            raise DeliveryError(
                f"the SMS needs {message.segments} parts; at most {MAX_SEGMENTS} are sent"
            )
        params: dict[str, str | int] = {
            "username": self.config.username,
            "password": self.config.password,
            "from": self.config.sender,
            "to": message.to,
            "text": message.text,
            "charset": "UTF-8",
            "coding": coding_for(message.encoding),
        }
        if self.config.dlr_url:
            params["dlr-mask"] = DLR_MASK_ALL
            params["dlr-url"] = dlr_callback_url(self.config.dlr_url, message.delivery_id)
        try:
            response = self._client.get(self.config.sendsms_url, params=params)
        except httpx.HTTPError as error:
            # Not str(error): httpx puts the request URL, with our password, in some messages.
            raise DeliveryError(f"Kannel did not answer: {type(error).__name__}") from None
        answer = response.text.strip()[:200]
        if response.status_code not in (200, 202) or not answer.startswith(_ACCEPTED_PREFIXES):
            raise DeliveryError(f"Kannel refused the SMS: HTTP {response.status_code} {answer!r}")
        return SendReceipt(detail=answer)
