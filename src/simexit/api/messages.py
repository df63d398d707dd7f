"""The `detail` of every problem code in the four languages simexit speaks.

Messages are keyed by the stable problem `code`; `{name}` placeholders are filled from the
error's context. A code without an entry falls back to the service's English message, and a
language without an entry to English.
"""

from __future__ import annotations

from typing import Final

from simexit.api import admin_messages, information_messages
from simexit.i18n import negotiate_language

LANGUAGES: Final = ("en", "nb", "ru", "zh_Hans")
# What goes into the Content-Language header for each catalog language.
CONTENT_LANGUAGE: Final = {"en": "en", "nb": "nb", "ru": "ru", "zh_Hans": "zh-Hans"}

M = dict[str, str]

CATALOG: Final[dict[str, M]] = {
    "validation_failed": {
        "en": "The request has invalid fields; see errors.",
        "nb": "Forespørselen har ugyldige felt; se errors.",
        "ru": "В запросе есть неверные поля; см. errors.",
        "zh_Hans": "请求中有无效字段；请查看 errors。",
    },
    "not_found": {
        "en": "There is nothing at this address.",
        "nb": "Det finnes ingenting på denne adressen.",
        "ru": "По этому адресу ничего нет.",
        "zh_Hans": "此地址下没有任何内容。",
    },
    "method_not_allowed": {
        "en": "This address does not accept that method.",
        "nb": "Denne adressen godtar ikke den metoden.",
        "ru": "Этот адрес не поддерживает такой метод.",
        "zh_Hans": "此地址不支持该请求方法。",
    },
    "unauthenticated": {
        "en": "Send a valid API key as 'Authorization: Bearer sx_...'.",
        "nb": "Send en gyldig API-nøkkel som 'Authorization: Bearer sx_...'.",
        "ru": "Передайте действующий API-ключ: 'Authorization: Bearer sx_...'.",
        "zh_Hans": "请以 'Authorization: Bearer sx_...' 的形式提供有效的 API 密钥。",
    },
    "basic_credentials_malformed": {
        "en": "HTTP Basic credentials must be base64 of 'API_KEY:' (the API key as user name, no password).",
        "nb": "HTTP Basic-legitimasjonen må være base64 av 'API_KEY:' (API-nøkkelen som brukernavn, uten passord).",
        "ru": "Учётные данные HTTP Basic должны быть base64 от 'API_KEY:' (API-ключ как имя пользователя, без пароля).",
        "zh_Hans": "HTTP Basic 凭据必须是 'API_KEY:' 的 base64 编码（API 密钥作为用户名，不带密码）。",
    },
    "basic_password_not_empty": {
        "en": "Send the API key as the HTTP Basic user name and leave the password empty.",
        "nb": "Send API-nøkkelen som HTTP Basic-brukernavn og la passordet være tomt.",
        "ru": "Передайте API-ключ как имя пользователя HTTP Basic и оставьте пароль пустым.",
        "zh_Hans": "请将 API 密钥作为 HTTP Basic 用户名发送，密码留空。",
    },
    "product_order_not_found": {
        "en": "You have no product order with this id.",
        "nb": "Du har ingen produktordre med denne id-en.",
        "ru": "У вас нет заказа продукта с таким id.",
        "zh_Hans": "您没有此 id 的产品订单。",
    },
    "product_order_unknown": {
        "en": "The request names a product order you do not have (productOrder.id).",
        "nb": "Forespørselen viser til en produktordre du ikke har (productOrder.id).",
        "ru": "В запросе указан заказ продукта, которого у вас нет (productOrder.id).",
        "zh_Hans": "请求引用了您没有的产品订单（productOrder.id）。",
    },
    "cancel_product_order_not_found": {
        "en": "You have no order cancellation with this id.",
        "nb": "Du har ingen ordrekansellering med denne id-en.",
        "ru": "У вас нет отмены заказа с таким id.",
        "zh_Hans": "您没有此 id 的订单取消请求。",
    },
    "product_not_found": {
        "en": "You have no product (line) with this id.",
        "nb": "Du har ikke noe produkt (abonnement) med denne id-en.",
        "ru": "У вас нет продукта (линии) с таким id.",
        "zh_Hans": "您没有此 id 的产品（线路）。",
    },
    "communication_message_not_found": {
        "en": "You have no communication message with this id.",
        "nb": "Du har ingen kommunikasjonsmelding med denne id-en.",
        "ru": "У вас нет сообщения с таким id.",
        "zh_Hans": "您没有此 id 的通信消息。",
    },
    "hub_not_found": {
        "en": "You have no listener (hub) with this id for this API.",
        "nb": "Du har ingen lytter (hub) med denne id-en for dette API-et.",
        "ru": "У вас нет подписчика (hub) с таким id для этого API.",
        "zh_Hans": "您在此 API 中没有此 id 的监听器（hub）。",
    },
    "filter_not_supported": {
        "en": "This attribute cannot be used as a filter here; filters: {supported}.",
        "nb": "Dette attributtet kan ikke brukes som filter her; filtre: {supported}.",
        "ru": "Этот атрибут здесь нельзя использовать как фильтр; фильтры: {supported}.",
        "zh_Hans": "此属性不能在这里用作过滤条件；可用的过滤条件：{supported}。",
    },
    "filter_value_invalid": {
        "en": "A filter value is not valid for its attribute.",
        "nb": "En filterverdi er ikke gyldig for attributtet sitt.",
        "ru": "Значение фильтра недопустимо для этого атрибута.",
        "zh_Hans": "过滤值对该属性无效。",
    },
    "tmf_needs_api_key": {
        "en": "The TM Forum APIs need an operator's or reseller's API key.",
        "nb": "TM Forum-API-ene krever en API-nøkkel fra en operatør eller forhandler.",
        "ru": "Для API TM Forum нужен API-ключ оператора или реселлера.",
        "zh_Hans": "TM Forum API 需要运营商或经销商的 API 密钥。",
    },
    "api_key_revoked": {
        "en": "This API key has been revoked.",
        "nb": "Denne API-nøkkelen er trukket tilbake.",
        "ru": "Этот API-ключ отозван.",
        "zh_Hans": "此 API 密钥已被吊销。",
    },
    "internal_error": {
        "en": "Something went wrong on our side. Nothing was changed; please try again.",
        "nb": "Noe gikk galt hos oss. Ingenting ble endret; prøv igjen.",
        "ru": "У нас произошла ошибка. Ничего не изменено; попробуйте ещё раз.",
        "zh_Hans": "我们这边出了问题。没有做任何更改，请重试。",
    },
    "not_ready": {
        "en": "The service is not ready: {reason}.",
        "nb": "Tjenesten er ikke klar: {reason}.",
        "ru": "Сервис не готов: {reason}.",
        "zh_Hans": "服务尚未就绪：{reason}。",
    },
    "rate_limited": {
        "en": "Too many attempts. Try again in {retry_after} seconds.",
        "nb": "For mange forsøk. Prøv igjen om {retry_after} sekunder.",
        "ru": "Слишком много попыток. Повторите через {retry_after} с.",
        "zh_Hans": "尝试次数过多。请在 {retry_after} 秒后重试。",
    },
    "idempotency_key_reused": {
        "en": "You used this Idempotency-Key for a different request in the last {ttl_hours} hours; use a new key for a new request.",
        "nb": "Du har brukt denne Idempotency-Key for en annen forespørsel de siste {ttl_hours} timene; bruk en ny nøkkel for en ny forespørsel.",
        "ru": "Вы уже использовали этот Idempotency-Key для другого запроса за последние {ttl_hours} ч; для нового запроса нужен новый ключ.",
        "zh_Hans": "您在过去 {ttl_hours} 小时内已将此 Idempotency-Key 用于另一个不同的请求；新请求请使用新的 Idempotency-Key。",
    },
    "idempotency_in_progress": {
        "en": "A request with this Idempotency-Key is still being processed; retry shortly.",
        "nb": "En forespørsel med denne Idempotency-Key behandles fortsatt; prøv igjen straks.",
        "ru": "Запрос с этим Idempotency-Key ещё обрабатывается; повторите чуть позже.",
        "zh_Hans": "使用此 Idempotency-Key 的请求仍在处理中，请稍后重试。",
    },
    "unauthenticated_metrics": {
        "en": "Send the metrics token as 'Authorization: Bearer <token>'.",
        "nb": "Send metrikk-tokenet som 'Authorization: Bearer <token>'.",
        "ru": "Передайте токен метрик: 'Authorization: Bearer <token>'.",
        "zh_Hans": "请以 'Authorization: Bearer <token>' 的形式提供指标令牌。",
    },
    "no_physical_sim": {
        "en": "This is an eSIM line: there is no card to return.",
        "nb": "Dette er et eSIM-abonnement: det finnes ikke noe kort å returnere.",
        "ru": "Это линия eSIM: возвращать нечего, физической карты нет.",
        "zh_Hans": "这是 eSIM 线路，没有可退还的实体卡。",
    },
    "returned_at_in_future": {
        "en": "returned_at is in the future; a SIM can only be recorded once it has come back.",
        "nb": "returned_at ligger i fremtiden; et SIM-kort kan bare registreres når det er kommet tilbake.",
        "ru": "returned_at в будущем; SIM-карту можно отметить только после её возврата.",
        "zh_Hans": "returned_at 是将来的时间；SIM 卡只能在退回后登记。",
    },
    "body_too_large": {
        "en": "The request body is larger than {limit_bytes} bytes.",
        "nb": "Forespørselen er større enn {limit_bytes} byte.",
        "ru": "Тело запроса больше {limit_bytes} байт.",
        "zh_Hans": "请求正文超过 {limit_bytes} 字节。",
    },
    "unsupported_charset": {
        "en": "JSON must be sent as UTF-8 (Content-Type: application/json; charset=utf-8).",
        "nb": "JSON må sendes som UTF-8 (Content-Type: application/json; charset=utf-8).",
        "ru": "JSON нужно отправлять в UTF-8 (Content-Type: application/json; charset=utf-8).",
        "zh_Hans": "JSON 必须以 UTF-8 发送（Content-Type: application/json; charset=utf-8）。",
    },
    "invalid_cursor": {
        "en": "The cursor is not one this API gave out.",
        "nb": "Markøren er ikke en som dette API-et har gitt ut.",
        "ru": "Этот курсор не был выдан данным API.",
        "zh_Hans": "该游标不是本 API 发出的。",
    },
    "case_not_found": {
        "en": "No such case.",
        "nb": "Saken finnes ikke.",
        "ru": "Такой заявки нет.",
        "zh_Hans": "没有这个申请。",
    },
    "line_not_found": {
        "en": "No such line.",
        "nb": "Abonnementet finnes ikke.",
        "ru": "Такого номера нет.",
        "zh_Hans": "没有这条线路。",
    },
    "operator_not_found": {
        "en": "No such operator.",
        "nb": "Operatøren finnes ikke.",
        "ru": "Такого оператора нет.",
        "zh_Hans": "没有这个运营商。",
    },
    "port_out_not_found": {
        "en": "No such port-out.",
        "nb": "Nummeroverføringen finnes ikke.",
        "ru": "Такого переноса номера нет.",
        "zh_Hans": "没有这个携号转出请求。",
    },
    "invalid_transition": {
        "en": "A case that is {current} cannot do that ({trigger}).",
        "nb": "En sak med status {current} kan ikke gjøre det ({trigger}).",
        "ru": "Заявка в статусе {current} не допускает этого действия ({trigger}).",
        "zh_Hans": "处于 {current} 状态的申请不能执行此操作（{trigger}）。",
    },
    "identity_not_verified": {
        "en": "Identity must be verified before submitting.",
        "nb": "Identiteten må bekreftes før innsending.",
        "ru": "Перед отправкой нужно подтвердить личность.",
        "zh_Hans": "提交前必须先验证身份。",
    },
    "consent_required": {
        "en": "Consent to the consequences is required.",
        "nb": "Du må samtykke til konsekvensene.",
        "ru": "Требуется согласие с последствиями.",
        "zh_Hans": "需要您同意相关后果。",
    },
    "verification_missing": {
        "en": "No code was sent for this case; ask for one first.",
        "nb": "Ingen kode er sendt for denne saken; be om en først.",
        "ru": "Код для этой заявки не отправлялся; сначала запросите его.",
        "zh_Hans": "尚未为此申请发送验证码；请先申请验证码。",
    },
    "verification_method_not_allowed": {
        "en": "This identity method cannot be used here.",
        "nb": "Denne identifiseringsmetoden kan ikke brukes her.",
        "ru": "Этот способ подтверждения личности здесь недоступен.",
        "zh_Hans": "此处不能使用这种身份验证方式。",
    },
    "verification_code_wrong": {
        "en": "The code is wrong. {attempts_left} attempts left.",
        "nb": "Koden er feil. {attempts_left} forsøk igjen.",
        "ru": "Неверный код. Осталось попыток: {attempts_left}.",
        "zh_Hans": "验证码错误。还剩 {attempts_left} 次机会。",
    },
    "verification_locked": {
        "en": "Too many wrong codes. Ask for a new code.",
        "nb": "For mange feil koder. Be om en ny kode.",
        "ru": "Слишком много неверных кодов. Запросите новый код.",
        "zh_Hans": "错误次数过多。请重新申请验证码。",
    },
    "document_mismatch": {
        "en": "The document number is not the one on file for this subscriber.",
        "nb": "Dokumentnummeret er ikke det som er registrert for denne abonnenten.",
        "ru": "Номер документа не совпадает с сохранённым для этого абонента.",
        "zh_Hans": "证件号码与该用户登记的号码不一致。",
    },
    "identity_method_required": {
        "en": "This request needs {needed} to prove who you are. Start it with {offered}.",
        "nb": "Denne forespørselen krever {needed} for å bekrefte hvem du er. Start med {offered}.",
        "ru": "Для этой заявки нужно подтвердить личность через {needed}. Начните с {offered}.",
        "zh_Hans": "此申请需要通过 {needed} 证明身份。请使用 {offered} 开始。",
    },
    "mrz_invalid": {
        "en": "The document's machine-readable zone was refused: {reason}.",
        "nb": "Dokumentets maskinlesbare sone ble avvist: {reason}.",
        "ru": "Машиночитаемая зона документа отклонена: {reason}.",
        "zh_Hans": "证件的机读区被拒绝：{reason}。",
    },
    "pin_wrong": {
        "en": "The PIN is wrong. {attempts_left} attempts left.",
        "nb": "PIN-koden er feil. {attempts_left} forsøk igjen.",
        "ru": "Неверный PIN-код. Осталось попыток: {attempts_left}.",
        "zh_Hans": "PIN 码错误。还剩 {attempts_left} 次机会。",
    },
    "pin_locked": {
        "en": "Too many wrong PINs: the PIN is locked for today. Use another way to prove who you are.",
        "nb": "For mange feil PIN-koder: PIN-koden er sperret i dag. Bruk en annen måte å bekrefte hvem du er.",
        "ru": "Слишком много неверных PIN-кодов: PIN заблокирован до завтра. Подтвердите личность другим способом.",
        "zh_Hans": "PIN 码错误次数过多：今天已锁定。请用其他方式证明身份。",
    },
    "verification_expired": {
        "en": "The code has expired. Ask for a new code.",
        "nb": "Koden er utløpt. Be om en ny kode.",
        "ru": "Срок действия кода истёк. Запросите новый код.",
        "zh_Hans": "验证码已过期。请重新申请。",
    },
    "scope_required": {
        "en": "This needs an operator-level API key with the admin scope, or an admin's sign-in.",
        "nb": "Dette krever en API-nøkkel for operatøren med admin-tilgang, eller en administrators innlogging.",
        "ru": "Для этого нужен API-ключ оператора с областью admin или вход администратора.",
        "zh_Hans": "此操作需要具有 admin 权限的运营商级 API 密钥，或管理员登录。",
    },
    "attest_scope_required": {
        "en": "Recording an identity check needs an operator-level API key made with the identity:attest scope, or a staff member's sign-in.",
        "nb": "Å registrere en identitetskontroll krever en API-nøkkel for operatøren laget med tilgangen identity:attest, eller en ansatts innlogging.",
        "ru": "Для записи проверки личности нужен API-ключ оператора, созданный с областью identity:attest, или вход сотрудника.",
        "zh_Hans": "记录身份核验需要创建时带有 identity:attest 权限的运营商级 API 密钥，或员工登录。",
    },
    "unsupported_media_type": {
        "en": "Send the file as text/csv or application/x-ndjson.",
        "nb": "Send filen som text/csv eller application/x-ndjson.",
        "ru": "Отправьте файл как text/csv или application/x-ndjson.",
        "zh_Hans": "请以 text/csv 或 application/x-ndjson 格式发送文件。",
    },
    "not_permitted": {
        "en": "Only the operator's staff can do this.",
        "nb": "Bare operatørens ansatte kan gjøre dette.",
        "ru": "Это может сделать только сотрудник оператора.",
        "zh_Hans": "只有运营商的工作人员可以执行此操作。",
    },
    "forbidden": {
        "en": "You may not do this.",
        "nb": "Du har ikke lov til å gjøre dette.",
        "ru": "Вам это действие недоступно.",
        "zh_Hans": "您无权执行此操作。",
    },
    "line_number_released": {
        "en": "This line has ended and its number has gone back to the pool; no request can be opened on it.",
        "nb": "Dette abonnementet er avsluttet og nummeret er frigitt; ingen forespørsel kan åpnes på det.",
        "ru": "Эта линия закрыта, а её номер возвращён в пул; заявку по ней открыть нельзя.",
        "zh_Hans": "该线路已终止，号码已退回号码池，无法再为其提交申请。",
    },
    "too_late_to_withdraw": {
        "en": "The request takes effect today or has started; it can no longer be withdrawn.",
        "nb": "Forespørselen gjelder fra i dag eller er startet; den kan ikke lenger trekkes.",
        "ru": "Заявка вступает в силу сегодня или уже исполняется; отозвать её нельзя.",
        "zh_Hans": "该申请今天生效或已开始执行，无法撤回。",
    },
    "request_not_applicable": {
        "en": "This request does not apply to this line.",
        "nb": "Denne forespørselen gjelder ikke for dette abonnementet.",
        "ru": "Этот запрос неприменим к данному номеру.",
        "zh_Hans": "此请求不适用于这条线路。",
    },
    "concurrent_change": {
        "en": "The case changed while you were working on it; reload and try again.",
        "nb": "Saken ble endret mens du jobbet med den; last inn på nytt og prøv igjen.",
        "ru": "Заявка изменилась, пока вы с ней работали; обновите и повторите.",
        "zh_Hans": "在您操作期间申请已被修改；请刷新后重试。",
    },
    "conflict": {
        "en": "The request conflicts with the current state.",
        "nb": "Forespørselen er i konflikt med gjeldende tilstand.",
        "ru": "Запрос противоречит текущему состоянию.",
        "zh_Hans": "该请求与当前状态冲突。",
    },
    "invalid_input": {
        "en": "A value in the request is not acceptable.",
        "nb": "En verdi i forespørselen kan ikke godtas.",
        "ru": "Значение в запросе недопустимо.",
        "zh_Hans": "请求中的某个值不可接受。",
    },
    "line_not_esim": {
        "en": "This line has no eSIM.",
        "nb": "Dette abonnementet har ikke eSIM.",
        "ru": "У этого номера нет eSIM.",
        "zh_Hans": "这条线路没有 eSIM。",
    },
    "line_not_suspendable": {
        "en": "This line has ended, so it cannot be suspended or resumed.",
        "nb": "Dette abonnementet er avsluttet og kan ikke sperres eller åpnes igjen.",
        "ru": "Этот номер уже отключён: его нельзя приостановить или возобновить.",
        "zh_Hans": "这条线路已经终止，无法暂停或恢复。",
    },
    "port_out_pending": {
        "en": "A port-out of this number is already pending.",
        "nb": "En nummeroverføring for dette nummeret pågår allerede.",
        "ru": "Перенос этого номера уже выполняется.",
        "zh_Hans": "此号码已有正在进行的携号转出。",
    },
    "port_out_closed": {
        "en": "This port-out is {status} and cannot be completed.",
        "nb": "Denne nummeroverføringen er {status} og kan ikke fullføres.",
        "ru": "Этот перенос номера в статусе {status} и не может быть завершён.",
        "zh_Hans": "该携号转出处于 {status} 状态，无法完成。",
    },
    "port_completed_at_in_future": {
        "en": "completed_at must not be in the future: a port is completed once it has happened.",
        "nb": "completed_at kan ikke ligge fram i tid: en nummeroverføring fullføres når den har skjedd.",
        "ru": "completed_at не может быть в будущем: перенос завершают, когда он уже произошёл.",
        "zh_Hans": "completed_at 不能是将来的时间：携号转出完成后才能标记为完成。",
    },
    "port_completed_before_request": {
        "en": "completed_at must not be before the port-out was requested ({requested_at}).",
        "nb": "completed_at kan ikke være før nummeroverføringen ble bestilt ({requested_at}).",
        "ru": "completed_at не может быть раньше запроса на перенос ({requested_at}).",
        "zh_Hans": "completed_at 不能早于携号转出请求的时间（{requested_at}）。",
    },
    "line_not_active": {
        "en": "The line is {status}; this needs an active line.",
        "nb": "Abonnementet er {status}; dette krever et aktivt abonnement.",
        "ru": "Номер в статусе {status}; нужен активный номер.",
        "zh_Hans": "线路状态为 {status}；此操作需要有效线路。",
    },
    "policy_error": {
        "en": "The operator's rules cannot decide this request.",
        "nb": "Operatørens regler kan ikke avgjøre denne forespørselen.",
        "ru": "Правила оператора не позволяют решить этот запрос.",
        "zh_Hans": "运营商的规则无法处理此请求。",
    },
    "test_clock_not_forward": {
        "en": "A test clock only moves forward: give a later time or a positive number of days.",
        "nb": "En testklokke går bare fremover: oppgi et senere tidspunkt eller et positivt antall dager.",
        "ru": "Тестовые часы идут только вперёд: укажите более позднее время или положительное число дней.",
        "zh_Hans": "测试时钟只能向前：请给出更晚的时间或正的天数。",
    },
    "operator_not_sandbox": {
        "en": "This operator is not a sandbox: its time is the real time and cannot be moved.",
        "nb": "Denne operatøren er ikke en sandkasse: tiden er den virkelige og kan ikke flyttes.",
        "ru": "Этот оператор не песочница: его время реальное, его нельзя сдвинуть.",
        "zh_Hans": "该运营商不是沙盒：其时间为真实时间，无法移动。",
    },
    "test_clock_exists": {
        "en": "This operator already has a test clock; advance it instead.",
        "nb": "Denne operatøren har allerede en testklokke; flytt den i stedet.",
        "ru": "У этого оператора уже есть тестовые часы; переведите их.",
        "zh_Hans": "该运营商已有测试时钟；请改为推进它。",
    },
}

CATALOG.update(admin_messages.CATALOG)
CATALOG.update(information_messages.CATALOG)


class _Fill(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def negotiate(accept_language: str | None) -> str:
    """The catalog language for an Accept-Language header ("en" when nothing fits)."""
    if not accept_language:
        return "en"
    try:
        language = negotiate_language(accept_language, LANGUAGES)
    except Exception:  # a malformed header must never turn a refusal into a crash
        return "en"
    return language if language in LANGUAGES else "en"


def message(code: str, language: str, fallback: str | None = None, **params: object) -> str:
    entry = CATALOG.get(code)
    if entry is None:
        return fallback or code.replace("_", " ")
    template = entry.get(language) or entry["en"]
    return template.format_map(_Fill(params))
