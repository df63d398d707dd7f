"""The `detail` of each field-level error (`errors[]` of a 422) in the caller's language.

Keyed by the entry's `code`: the rule of `provisioning.rules`, one of `api.validators`, or a
pydantic error type. `{name}` placeholders are filled from the rule's parameters (pydantic's
error context, or `FieldProblem.params`). English is always the source's own detail;
a code without an entry keeps it in every language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

M = dict[str, str]


def _m(en: str, nb: str, ru: str, zh: str) -> M:
    return {"en": en, "nb": nb, "ru": ru, "zh_Hans": zh}


FIELD_CATALOG: Final[dict[str, M]] = {
    # pydantic's error types
    "missing": _m(
        "Field required.", "Feltet er påkrevd.", "Обязательное поле.", "此字段为必填项。"
    ),
    "extra_forbidden": _m(
        "This field is not accepted here.",
        "Dette feltet godtas ikke her.",
        "Это поле здесь не допускается.",
        "此处不接受该字段。",
    ),
    "string_type": _m(
        "Must be a string.", "Må være en tekst.", "Должно быть строкой.", "必须是字符串。"
    ),
    "string_too_long": _m(
        "Must be at most {max_length} characters.",
        "Kan være høyst {max_length} tegn.",
        "Не длиннее {max_length} символов.",
        "最多 {max_length} 个字符。",
    ),
    "string_too_short": _m(
        "Must be at least {min_length} characters.",
        "Må være minst {min_length} tegn.",
        "Не короче {min_length} символов.",
        "至少 {min_length} 个字符。",
    ),
    "string_pattern_mismatch": _m(
        "Does not have the expected form.",
        "Har ikke forventet form.",
        "Имеет неверный формат.",
        "格式不正确。",
    ),
    "uuid_parsing": _m("Must be a UUID.", "Må være en UUID.", "Должно быть UUID.", "必须是 UUID。"),
    "uuid_type": _m("Must be a UUID.", "Må være en UUID.", "Должно быть UUID.", "必须是 UUID。"),
    "int_parsing": _m(
        "Must be a whole number.",
        "Må være et heltall.",
        "Должно быть целым числом.",
        "必须是整数。",
    ),
    "int_type": _m(
        "Must be a whole number.",
        "Må være et heltall.",
        "Должно быть целым числом.",
        "必须是整数。",
    ),
    "bool_parsing": _m(
        "Must be true or false.",
        "Må være true eller false.",
        "Должно быть true или false.",
        "必须是 true 或 false。",
    ),
    "bool_type": _m(
        "Must be true or false.",
        "Må være true eller false.",
        "Должно быть true или false.",
        "必须是 true 或 false。",
    ),
    "date_parsing": _m(
        "Must be a date, YYYY-MM-DD.",
        "Må være en dato, ÅÅÅÅ-MM-DD.",
        "Должно быть датой ГГГГ-ММ-ДД.",
        "必须是日期，格式 YYYY-MM-DD。",
    ),
    "date_from_datetime_parsing": _m(
        "Must be a date, YYYY-MM-DD.",
        "Må være en dato, ÅÅÅÅ-MM-DD.",
        "Должно быть датой ГГГГ-ММ-ДД.",
        "必须是日期，格式 YYYY-MM-DD。",
    ),
    "datetime_parsing": _m(
        "Must be an ISO 8601 time with its UTC offset.",
        "Må være et ISO 8601-tidspunkt med UTC-forskyvning.",
        "Должно быть временем ISO 8601 со смещением от UTC.",
        "必须是带 UTC 偏移的 ISO 8601 时间。",
    ),
    "datetime_from_date_parsing": _m(
        "Must be an ISO 8601 time with its UTC offset.",
        "Må være et ISO 8601-tidspunkt med UTC-forskyvning.",
        "Должно быть временем ISO 8601 со смещением от UTC.",
        "必须是带 UTC 偏移的 ISO 8601 时间。",
    ),
    "timezone_aware": _m(
        "Must carry a UTC offset.",
        "Må ha en UTC-forskyvning.",
        "Должно содержать смещение от UTC.",
        "必须带有 UTC 偏移。",
    ),
    "enum": _m(
        "Must be one of: {expected}.",
        "Må være en av: {expected}.",
        "Допустимые значения: {expected}.",
        "必须是以下之一：{expected}。",
    ),
    "literal_error": _m(
        "Must be one of: {expected}.",
        "Må være en av: {expected}.",
        "Допустимые значения: {expected}.",
        "必须是以下之一：{expected}。",
    ),
    "greater_than_equal": _m(
        "Must be at least {ge}.", "Må være minst {ge}.", "Не меньше {ge}.", "不能小于 {ge}。"
    ),
    "less_than_equal": _m(
        "Must be at most {le}.", "Kan være høyst {le}.", "Не больше {le}.", "不能大于 {le}。"
    ),
    "list_type": _m("Must be a list.", "Må være en liste.", "Должно быть списком.", "必须是列表。"),
    "too_long": _m(
        "Has too many items.", "Har for mange elementer.", "Слишком много элементов.", "元素过多。"
    ),
    "json_invalid": _m(
        "The body is not valid JSON.",
        "Innholdet er ikke gyldig JSON.",
        "Тело запроса — неверный JSON.",
        "请求体不是有效的 JSON。",
    ),
    "union_tag_invalid": _m(
        "Unknown type; see the documented types.",
        "Ukjent type; se de dokumenterte typene.",
        "Неизвестный тип; см. документацию.",
        "未知类型；请查看文档中的类型。",
    ),
    "union_tag_not_found": _m(
        "The type field is required.",
        "Feltet type er påkrevd.",
        "Поле type обязательно.",
        "type 字段为必填项。",
    ),
    "model_attributes_type": _m(
        "Must be an object.", "Må være et objekt.", "Должно быть объектом.", "必须是对象。"
    ),
    "dict_type": _m(
        "Must be an object.", "Må være et objekt.", "Должно быть объектом.", "必须是对象。"
    ),
    # api.validators
    "e164": _m(
        "Must be a valid phone number in E.164 form, e.g. +4791234567.",
        "Må være et gyldig telefonnummer på E.164-form, f.eks. +4791234567.",
        "Должно быть действительным номером в формате E.164, например +4791234567.",
        "必须是 E.164 格式的有效电话号码，例如 +4791234567。",
    ),
    "iccid": _m(
        "Must be 19 or 20 digits starting with 89.",
        "Må være 19 eller 20 sifre som begynner med 89.",
        "Должно состоять из 19 или 20 цифр и начинаться с 89.",
        "必须是以 89 开头的 19 或 20 位数字。",
    ),
    "iccid_checksum": _m(
        "The Luhn check digit does not match.",
        "Luhn-kontrollsifferet stemmer ikke.",
        "Контрольная цифра (Luhn) не совпадает.",
        "Luhn 校验位不匹配。",
    ),
    "date_range": _m(
        "Must be from {earliest} to {latest}.",
        "Må være fra {earliest} til {latest}.",
        "Должно быть в пределах от {earliest} до {latest}.",
        "必须在 {earliest} 至 {latest} 之间。",
    ),
    "datetime_range": _m(
        "Must be from {earliest} to {latest}.",
        "Må være fra {earliest} til {latest}.",
        "Должно быть в пределах от {earliest} до {latest}.",
        "必须在 {earliest} 至 {latest} 之间。",
    ),
    "control_characters": _m(
        "Must not contain control characters.",
        "Kan ikke inneholde kontrolltegn.",
        "Не должно содержать управляющих символов.",
        "不得包含控制字符。",
    ),
    "body_unreadable": _m(
        "The body could not be read.",
        "Innholdet kunne ikke leses.",
        "Не удалось прочитать тело запроса.",
        "无法读取请求体。",
    ),
    # provisioning.rules
    "required": _m("Is required.", "Er påkrevd.", "Обязательное поле.", "此字段为必填项。"),
    "unknown_field": _m(
        "Is not a field of this resource.",
        "Er ikke et felt i denne ressursen.",
        "Такого поля нет у этого ресурса.",
        "不是此资源的字段。",
    ),
    "string": _m(
        "Must be a string.", "Må være en tekst.", "Должно быть строкой.", "必须是字符串。"
    ),
    "max_length": _m(
        "Must be at most {max} characters.",
        "Kan være høyst {max} tegn.",
        "Не длиннее {max} символов.",
        "最多 {max} 个字符。",
    ),
    "one_of": _m(
        "Must be one of: {choices}.",
        "Må være en av: {choices}.",
        "Допустимые значения: {choices}.",
        "必须是以下之一：{choices}。",
    ),
    "token": _m(
        "Must be a short lower-case code (letters, digits, _).",
        "Må være en kort kode med små bokstaver (bokstaver, sifre, _).",
        "Должно быть коротким кодом строчными буквами (буквы, цифры, _).",
        "必须是简短的小写代码（字母、数字、_）。",
    ),
    "external_id_format": _m(
        "Must be 1 to 100 letters, digits or . _ ~ : -",
        "Må være 1 til 100 bokstaver, sifre eller . _ ~ : -",
        "Должно содержать от 1 до 100 букв, цифр или . _ ~ : -",
        "必须是 1 到 100 个字母、数字或 . _ ~ : -",
    ),
    "e164_for_country": _m(
        "Must be a valid phone number of {country} in E.164 form.",
        "Må være et gyldig telefonnummer i {country} på E.164-form.",
        "Должно быть действительным номером страны {country} в формате E.164.",
        "必须是 {country} 的有效 E.164 格式电话号码。",
    ),
    "iccid_format": _m(
        "Must be 18 to 20 digits starting with 89 (ITU-T E.118).",
        "Må være 18 til 20 sifre som begynner med 89 (ITU-T E.118).",
        "Должно состоять из 18–20 цифр и начинаться с 89 (ITU-T E.118).",
        "必须是以 89 开头的 18 到 20 位数字（ITU-T E.118）。",
    ),
    "iccid_luhn": _m(
        "Has a wrong check digit (Luhn).",
        "Har feil kontrollsiffer (Luhn).",
        "Неверная контрольная цифра (Luhn).",
        "校验位错误（Luhn）。",
    ),
    "imsi_format": _m(
        "Must be 15 digits (ITU-T E.212).",
        "Må være 15 sifre (ITU-T E.212).",
        "Должно состоять из 15 цифр (ITU-T E.212).",
        "必须是 15 位数字（ITU-T E.212）。",
    ),
    "imsi_mcc": _m(
        "Must start with a mobile country code of the operator: {codes}.",
        "Må begynne med en mobil landskode for operatøren: {codes}.",
        "Должно начинаться с кода страны оператора (MCC): {codes}.",
        "必须以运营商的移动国家代码开头：{codes}。",
    ),
    "eid_format": _m(
        "Must be 32 digits (GSMA SGP.29).",
        "Må være 32 sifre (GSMA SGP.29).",
        "Должно состоять из 32 цифр (GSMA SGP.29).",
        "必须是 32 位数字（GSMA SGP.29）。",
    ),
    "eid_check_digits": _m(
        "Has wrong check digits (ISO 7064 mod 97-10).",
        "Har feil kontrollsifre (ISO 7064 mod 97-10).",
        "Неверные контрольные цифры (ISO 7064 mod 97-10).",
        "校验位错误（ISO 7064 mod 97-10）。",
    ),
    "currency_of_operator": _m(
        "Must be the operator's currency, {currency}.",
        "Må være operatørens valuta, {currency}.",
        "Должно быть валютой оператора: {currency}.",
        "必须是运营商的货币：{currency}。",
    ),
    "decimal_amount": _m(
        'Must be a decimal amount such as "129.50", at most {digits} decimals for {currency}.',
        'Må være et desimalbeløp som "129.50", høyst {digits} desimaler for {currency}.',
        'Должно быть десятичной суммой, например "129.50", не более {digits} знаков для {currency}.',
        '必须是十进制金额，例如 "129.50"，{currency} 最多 {digits} 位小数。',
    ),
    "not_negative": _m(
        "Must not be negative.",
        "Kan ikke være negativt.",
        "Не может быть отрицательным.",
        "不能为负数。",
    ),
    "amount_range": _m(
        "Must be at most {max}.", "Kan være høyst {max}.", "Не больше {max}.", "不能大于 {max}。"
    ),
    "positive": _m(
        "Must be more than zero.",
        "Må være mer enn null.",
        "Должно быть больше нуля.",
        "必须大于零。",
    ),
    "integer": _m(
        "Must be a whole number.",
        "Må være et heltall.",
        "Должно быть целым числом.",
        "必须是整数。",
    ),
    "int_range": _m(
        "Must be from {low} to {high}.",
        "Må være fra {low} til {high}.",
        "Должно быть от {low} до {high}.",
        "必须在 {low} 到 {high} 之间。",
    ),
    "boolean": _m(
        "Must be true or false.",
        "Må være true eller false.",
        "Должно быть true или false.",
        "必须是 true 或 false。",
    ),
    "date": _m(
        "Must be a date, YYYY-MM-DD.",
        "Må være en dato, ÅÅÅÅ-MM-DD.",
        "Должно быть датой ГГГГ-ММ-ДД.",
        "必须是日期，格式 YYYY-MM-DD。",
    ),
    "datetime": _m(
        "Must be an ISO 8601 time with its UTC offset.",
        "Må være et ISO 8601-tidspunkt med UTC-forskyvning.",
        "Должно быть временем ISO 8601 со смещением от UTC.",
        "必须是带 UTC 偏移的 ISO 8601 时间。",
    ),
    "date_order": _m(
        "Must not be before commitment_start.",
        "Kan ikke være før commitment_start.",
        "Не может быть раньше commitment_start.",
        "不能早于 commitment_start。",
    ),
    "bonus_within_balance": _m(
        "Must not exceed balance.",
        "Kan ikke være større enn balance.",
        "Не может превышать balance.",
        "不能超过 balance。",
    ),
    "list": _m(
        "Must be a list (a JSON array or ;-separated values).",
        "Må være en liste (en JSON-liste eller verdier skilt med ;).",
        "Должно быть списком (массив JSON или значения через ;).",
        "必须是列表（JSON 数组或以 ; 分隔的值）。",
    ),
    "region_code": _m(
        "Must be a subdivision code such as CA (ISO 3166-2).",
        "Må være en regionkode som CA (ISO 3166-2).",
        "Должно быть кодом региона, например CA (ISO 3166-2).",
        "必须是行政区代码，例如 CA（ISO 3166-2）。",
    ),
    "uuid": _m("Must be a UUID.", "Må være en UUID.", "Должно быть UUID.", "必须是 UUID。"),
    "email": _m(
        "Must be an e-mail address.",
        "Må være en e-postadresse.",
        "Должно быть адресом электронной почты.",
        "必须是电子邮件地址。",
    ),
    "language_of_operator": _m(
        "Must be one of the operator's languages: {choices}.",
        "Må være et av operatørens språk: {choices}.",
        "Должно быть одним из языков оператора: {choices}.",
        "必须是运营商的语言之一：{choices}。",
    ),
    "pin_format": _m(
        "Must be 4 to 8 digits.",
        "Må være 4 til 8 sifre.",
        "Должно состоять из 4–8 цифр.",
        "必须是 4 到 8 位数字。",
    ),
    "id_document_format": _m(
        "Must be 4 to 40 letters or digits.",
        "Må være 4 til 40 bokstaver eller sifre.",
        "Должно содержать от 4 до 40 букв или цифр.",
        "必须是 4 到 40 个字母或数字。",
    ),
    "unknown_subscriber": _m(
        "No such subscriber.", "Ingen slik abonnent.", "Такого абонента нет.", "没有这个用户。"
    ),
    "unknown_reseller": _m(
        "No reseller of the operator.",
        "Ingen forhandler hos operatøren.",
        "У оператора нет такого дилера.",
        "运营商没有这个经销商。",
    ),
    "matches_path": _m(
        "Must match the external id in the path.",
        "Må stemme med external id i adressen.",
        "Должно совпадать с external id в адресе.",
        "必须与路径中的 external id 一致。",
    ),
    "exceeds_unpaid_bills": _m(
        "Is more than the line's unpaid bills.",
        "Er mer enn abonnementets ubetalte regninger.",
        "Больше неоплаченных счетов по номеру.",
        "超过了该线路的未付账单。",
    ),
    # refund destinations (refunds.destinations) and balance requests (cases intake)
    "check_digit": _m(
        "The check digit does not match.",
        "Kontrollsifferet stemmer ikke.",
        "Контрольная цифра не совпадает.",
        "校验位不符。",
    ),
    "no_account_length": _m(
        "Must be 11 digits.", "Må være 11 sifre.", "Должно быть 11 цифр.", "必须是 11 位数字。"
    ),
    "us_account_length": _m(
        "Must be 4 to 17 digits.",
        "Må være 4 til 17 sifre.",
        "Должно быть от 4 до 17 цифр.",
        "必须是 4 到 17 位数字。",
    ),
    "ru_account_length": _m(
        "Must be 20 digits.", "Må være 20 sifre.", "Должно быть 20 цифр.", "必须是 20 位数字。"
    ),
    "ru_bic": _m(
        "Must be the bank's 9-digit BIC, starting 04.",
        "Må være bankens 9-sifrede BIC som begynner med 04.",
        "Должен быть 9-значный БИК банка, начинающийся с 04.",
        "必须是银行的 9 位 BIC，以 04 开头。",
    ),
    "aba_routing": _m(
        "Is not a valid 9-digit ABA routing number.",
        "Er ikke et gyldig 9-sifret ABA-rutingnummer.",
        "Неверный 9-значный маршрутный номер ABA.",
        "不是有效的 9 位 ABA 路由号码。",
    ),
    "iban": _m(
        "Is not a valid IBAN.", "Er ikke et gyldig IBAN.", "Неверный IBAN.", "不是有效的 IBAN。"
    ),
    "bic": _m("Is not a valid BIC.", "Er ikke en gyldig BIC.", "Неверный BIC.", "不是有效的 BIC。"),
    "card_token": _m(
        "Must be the payment provider's card token, never a card number.",
        "Må være betalingsleverandørens kort-token, aldri et kortnummer.",
        "Нужен токен карты от платёжного провайдера, а не номер карты.",
        "必须是支付服务商的卡令牌，不能是卡号。",
    ),
    "payout_method_not_allowed": _m(
        "The operator's rules do not allow refunds this way.",
        "Operatørens regler tillater ikke tilbakebetaling på denne måten.",
        "Правила оператора не допускают возврат этим способом.",
        "运营商的规则不允许以此方式退款。",
    ),
    "account_format_not_used": _m(
        "Banks of the operator's country do not use this account form (use: {options}).",
        "Banker i operatørens land bruker ikke denne kontoformen (bruk: {options}).",
        "Банки страны оператора не используют такую форму счёта (используйте: {options}).",
        "运营商所在国家的银行不使用此账户格式（请使用：{options}）。",
    ),
    "line_of_subscriber": _m(
        "Must be another line of the same subscriber.",
        "Må være et annet abonnement hos samme kunde.",
        "Должен быть другой номер того же абонента.",
        "必须是同一用户的另一条线路。",
    ),
    "line_active": _m(
        "Must be an active line other than the one ending.",
        "Må være et aktivt abonnement, ikke det som avsluttes.",
        "Должен быть действующий номер, а не тот, что закрывается.",
        "必须是除正在注销线路之外的有效线路。",
    ),
    "settlement_not_offered": _m(
        "The operator's rules do not offer this for the balance.",
        "Operatørens regler tilbyr ikke dette for saldoen.",
        "Правила оператора не предусматривают этого для остатка.",
        "运营商的规则不为余额提供此选项。",
    ),
    "transfer_target_unknown": _m(
        "No line of this operator has this number.",
        "Ingen linje hos denne operatøren har dette nummeret.",
        "У этого оператора нет такого номера.",
        "该运营商没有此号码的线路。",
    ),
    "transfer_target_same_line": _m(
        "Is the line that ends.",
        "Er abonnementet som avsluttes.",
        "Это закрываемый номер.",
        "这是正在注销的线路。",
    ),
    "transfer_target_other_subscriber": _m(
        "Must be a line of the same subscriber.",
        "Må være et abonnement hos samme kunde.",
        "Должен быть номер того же абонента.",
        "必须是同一用户的线路。",
    ),
    "transfer_target_inactive": _m(
        "Must be an active line.",
        "Må være et aktivt abonnement.",
        "Должен быть действующий номер.",
        "必须是有效线路。",
    ),
}


class _Fill(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def field_detail(
    code: str, language: str, fallback: str, params: Mapping[str, object] | None = None
) -> str:
    """The entry's detail in `language`. English is the source's own sentence (`fallback`: the
    rule's, or pydantic's), as is any code not catalogued."""
    entry = FIELD_CATALOG.get(code)
    if entry is None or language == "en" or language not in entry:
        return fallback
    template = entry[language]
    return template.format_map(_Fill({k: _text(v) for k, v in (params or {}).items()}))


def _text(value: object) -> object:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value
