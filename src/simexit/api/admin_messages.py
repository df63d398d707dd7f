"""The `detail` of the admin endpoints' problem codes (staff, resellers, webhook endpoints) in the
four languages; `messages.CATALOG` takes them in. Kept apart so that the admin domains add their
words without editing the shared catalog."""

from __future__ import annotations

from typing import Final

M = dict[str, str]

CATALOG: Final[dict[str, M]] = {
    "staff_not_found": {
        "en": "There is no such staff user.",
        "nb": "Det finnes ingen slik ansattbruker.",
        "ru": "Такого сотрудника нет.",
        "zh_Hans": "没有这个员工用户。",
    },
    "email_taken": {
        "en": "A staff user with this e-mail address exists already.",
        "nb": "Det finnes allerede en ansattbruker med denne e-postadressen.",
        "ru": "Сотрудник с таким адресом электронной почты уже есть.",
        "zh_Hans": "已有使用此电子邮件地址的员工用户。",
    },
    "password_too_short": {
        "en": "The password must have at least {min_length} characters.",
        "nb": "Passordet må ha minst {min_length} tegn.",
        "ru": "Пароль должен содержать не менее {min_length} символов.",
        "zh_Hans": "密码至少需要 {min_length} 个字符。",
    },
    "password_too_long": {
        "en": "The password is too long.",
        "nb": "Passordet er for langt.",
        "ru": "Пароль слишком длинный.",
        "zh_Hans": "密码太长。",
    },
    "password_is_email": {
        "en": "The password must not be the e-mail address.",
        "nb": "Passordet kan ikke være e-postadressen.",
        "ru": "Пароль не должен совпадать с адресом электронной почты.",
        "zh_Hans": "密码不能与电子邮件地址相同。",
    },
    "cannot_change_self": {
        "en": "You cannot disable yourself or change your own role.",
        "nb": "Du kan ikke deaktivere deg selv eller endre din egen rolle.",
        "ru": "Нельзя отключить себя или изменить свою роль.",
        "zh_Hans": "您不能停用自己或更改自己的角色。",
    },
    "reseller_not_found": {
        "en": "There is no such reseller.",
        "nb": "Det finnes ingen slik forhandler.",
        "ru": "Такого реселлера нет.",
        "zh_Hans": "没有这个经销商。",
    },
    "webhook_endpoint_not_found": {
        "en": "There is no such webhook endpoint.",
        "nb": "Det finnes ikke noe slikt webhook-endepunkt.",
        "ru": "Такой точки приёма вебхуков нет.",
        "zh_Hans": "没有这个 Webhook 端点。",
    },
    "webhook_delivery_not_found": {
        "en": "This webhook endpoint has no such delivery.",
        "nb": "Dette webhook-endepunktet har ingen slik levering.",
        "ru": "У этой точки приёма нет такой доставки.",
        "zh_Hans": "此 Webhook 端点没有这条投递记录。",
    },
    "webhook_endpoint_disabled": {
        "en": "The webhook endpoint is disabled.",
        "nb": "Webhook-endepunktet er deaktivert.",
        "ru": "Точка приёма вебхуков отключена.",
        "zh_Hans": "此 Webhook 端点已停用。",
    },
    "webhook_delivery_in_progress": {
        "en": "The delivery is still being tried; replay it once it is delivered or dead.",
        "nb": "Leveringen prøves fortsatt; send den på nytt når den er levert eller død.",
        "ru": "Доставка ещё выполняется; повторите её, когда она будет доставлена или отклонена.",
        "zh_Hans": "此投递仍在尝试中；请在其送达或失败后再重放。",
    },
    "too_many_webhook_endpoints": {
        "en": "An operator can have at most {limit} live webhook endpoints; disable one first.",
        "nb": "En operatør kan ha høyst {limit} aktive webhook-endepunkter; deaktiver ett først.",
        "ru": "У оператора может быть не более {limit} активных точек приёма; сначала отключите одну.",
        "zh_Hans": "一个运营商最多可有 {limit} 个启用的 Webhook 端点；请先停用一个。",
    },
    "url_invalid": {
        "en": "The URL must be an absolute http(s) URL with a host.",
        "nb": "URL-en må være en absolutt http(s)-URL med vert.",
        "ru": "URL должен быть абсолютным адресом http(s) с именем хоста.",
        "zh_Hans": "URL 必须是带主机名的绝对 http(s) 地址。",
    },
    "url_https_required": {
        "en": "The URL must use https (plain http only for a loopback receiver in the local and test environments).",
        "nb": "URL-en må bruke https (vanlig http bare for en lokal mottaker i local- og test-miljøene).",
        "ru": "URL должен использовать https (http допускается только для локального получателя в средах local и test).",
        "zh_Hans": "URL 必须使用 https（仅在 local 和 test 环境中，本机回环接收端可使用 http）。",
    },
    "url_credentials": {
        "en": "The URL must not hold a user name or password.",
        "nb": "URL-en kan ikke inneholde brukernavn eller passord.",
        "ru": "URL не должен содержать имя пользователя или пароль.",
        "zh_Hans": "URL 中不能包含用户名或密码。",
    },
    "url_fragment": {
        "en": "The URL must not have a #fragment.",
        "nb": "URL-en kan ikke ha et #fragment.",
        "ru": "URL не должен содержать #фрагмент.",
        "zh_Hans": "URL 不能包含 #片段。",
    },
    "url_private_host": {
        "en": "The URL must not point at a loopback, private or link-local address.",
        "nb": "URL-en kan ikke peke på en loopback-, privat eller lenkelokal adresse.",
        "ru": "URL не должен указывать на локальный, частный или link-local адрес.",
        "zh_Hans": "URL 不能指向回环、私有或链路本地地址。",
    },
}
