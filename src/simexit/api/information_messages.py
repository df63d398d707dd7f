"""The `detail` of the information-request and upload problem codes in the four languages;
`messages.CATALOG` takes them in (kept apart so the shared catalog is not edited)."""

from __future__ import annotations

from typing import Final

M = dict[str, str]

CATALOG: Final[dict[str, M]] = {
    "file_type_not_allowed": {
        "en": "The file must be a PDF, a JPEG or a PNG picture (told by its content, not its name).",
        "nb": "Filen må være en PDF, et JPEG- eller et PNG-bilde (avgjort ut fra innholdet, ikke navnet).",
        "ru": "Файл должен быть в формате PDF, JPEG или PNG (определяется по содержимому, а не по имени).",
        "zh_Hans": "文件必须是 PDF、JPEG 或 PNG 图片（按内容判断，而非文件名）。",
    },
    "file_too_large": {
        "en": "The file is larger than {max_bytes} bytes.",
        "nb": "Filen er større enn {max_bytes} byte.",
        "ru": "Файл больше {max_bytes} байт.",
        "zh_Hans": "文件超过 {max_bytes} 字节。",
    },
    "file_empty": {
        "en": "The file is empty.",
        "nb": "Filen er tom.",
        "ru": "Файл пустой.",
        "zh_Hans": "文件是空的。",
    },
    "information_missing": {
        "en": "Give an answer, a file, or both.",
        "nb": "Gi et svar, en fil eller begge deler.",
        "ru": "Укажите ответ, файл или и то и другое.",
        "zh_Hans": "请提供答复、文件或两者。",
    },
    "information_due_date_invalid": {
        "en": "The due date must be after today and at most {max_days} days away.",
        "nb": "Fristen må være etter i dag og høyst {max_days} dager fram.",
        "ru": "Срок должен быть позже сегодняшнего дня и не дальше {max_days} дней.",
        "zh_Hans": "截止日期必须晚于今天，且不超过 {max_days} 天。",
    },
    "uploads_unavailable": {
        "en": "This server keeps no uploaded files.",
        "nb": "Denne serveren tar ikke vare på opplastede filer.",
        "ru": "Этот сервер не хранит загруженные файлы.",
        "zh_Hans": "此服务器不保存上传的文件。",
    },
    "attachment_not_found": {
        "en": "There is no such file on this case.",
        "nb": "Det finnes ingen slik fil i denne saken.",
        "ru": "В этом деле нет такого файла.",
        "zh_Hans": "此案件中没有该文件。",
    },
}
