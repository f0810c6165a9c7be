"""Domain errors with bilingual messages, the shared checks that raise them (invalid, load_or_404,
check_version), and the one handler that maps them to HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException


class DomainError(Exception):
    """Base of every error a service raises; carries the one error shape of the API."""

    status = 400
    code = "invalid"
    # Extra response headers (e.g. Retry-After, WWW-Authenticate); set on the instance when needed.
    headers: dict[str, str] | None = None

    def __init__(self, message_en: str, message_ja: str, *, field: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_ja = message_ja
        self.field = field
        self.details = details or {}

    def body(self) -> dict[str, Any]:
        """The JSON error shape: code, message ja/en, field."""
        return {"error": {"code": self.code, "message": {"ja": self.message_ja, "en": self.message_en},
                          "field": self.field, **({"details": self.details} if self.details else {})}}


class Invalid(DomainError):
    status, code = 422, "invalid"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Unauthenticated(DomainError):
    status, code = 401, "unauthenticated"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class Conflict(DomainError):
    status, code = 409, "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class TooManyRequests(DomainError):
    status, code = 429, "too_many_requests"


# Japanese wording for pydantic's validation error types; the English text comes from pydantic itself.
_JA_BY_TYPE = {
    "missing": "必須項目です",
    "extra_forbidden": "この項目は受け付けていません",
    "json_invalid": "JSONの形式が正しくありません",
    "greater_than_equal": "{ge}以上の値を入力してください",
    "greater_than": "{gt}より大きい値を入力してください",
    "less_than_equal": "{le}以下の値を入力してください",
    "less_than": "{lt}より小さい値を入力してください",
    "string_too_short": "{min_length}文字以上で入力してください",
    "string_too_long": "{max_length}文字以内で入力してください",
    "too_short": "{min_length}件以上を指定してください",
    "too_long": "{max_length}件以内で指定してください",
    "int_parsing": "整数を入力してください",
    "int_type": "整数を入力してください",
    "int_from_float": "整数を入力してください",
    "float_parsing": "数値を入力してください",
    "float_type": "数値を入力してください",
    "bool_parsing": "true か false を指定してください",
    "bool_type": "true か false を指定してください",
    "string_type": "文字列を入力してください",
    "list_type": "一覧（配列）で指定してください",
    "dict_type": "オブジェクトで指定してください",
    "model_attributes_type": "オブジェクトで指定してください",
    "date_parsing": "日付を YYYY-MM-DD の形式で入力してください",
    "date_from_datetime_parsing": "日付を YYYY-MM-DD の形式で入力してください",
    "date_type": "日付を YYYY-MM-DD の形式で入力してください",
    "datetime_parsing": "日時を ISO 8601 の形式で入力してください",
    "literal_error": "次のいずれかを指定してください：{expected}",
    "enum": "次のいずれかを指定してください：{expected}",
    "blank": "空白だけの値は入力できません",
    "too_many_vertices": "区域の点が多すぎます（{points}点。上限は{limit}点です。図形を簡略化してください）",
    "too_deep": "GeoJSON の入れ子が深すぎます",
    "nul_character": "NUL文字（\\u0000）は使えません",
}


# Fields named in words (issue 15 item 4: no field ids in what people read). The id stays in "field".
FIELD_WORDS: dict[str, tuple[str, str]] = {
    "kind": ("支援の種類", "kind of support"), "kinds": ("支援の種類", "kinds of support"),
    "language": ("言語", "language"), "languages": ("言語", "languages"),
    "headcount": ("人数", "number of people"), "start": ("開始日", "start date"), "days": ("日数", "days"),
    "place": ("場所", "place"), "remote": ("遠隔", "remote"), "notes": ("備考", "notes"),
    "requester_id": ("要請団体", "requesting association"), "version": ("版", "version"),
    "status": ("状態", "status"), "state": ("状態", "state"), "reason": ("理由", "reason"),
    "expected_cost_yen": ("見込み費用", "expected cost"), "cost_policy": ("費用負担", "cost settlement"),
    "available_from": ("提供開始日", "available from"), "available_until": ("提供終了日", "available until"),
    "association_id": ("協会", "association"), "need_id": ("ニーズ", "need"), "offer_id": ("申し出", "offer"),
    "supplier_id": ("応援団体", "supporting association"), "dispatch_id": ("派遣", "dispatch"),
    "name": ("名前", "name"), "role": ("役割", "role"), "phone": ("電話番号", "phone"),
    "email": ("メールアドレス", "e-mail"), "contacts": ("連絡先", "contacts"), "people": ("派遣する人", "people sent"),
    "site_contact": ("現地の連絡先", "on-site contact"), "accepted_headcount": ("受諾する人数", "people accepted"),
    "at": ("実際の時刻", "actual time"), "body": ("入力内容", "the request"),
    "idempotency_key": ("送信キー", "Idempotency-Key"), "action": ("操作", "action"),
    "login": ("ログイン名", "login"), "password": ("パスワード", "password"),
}


def field_words(field: str | None) -> tuple[str, str]:
    """A field's name in Japanese and English words ("contacts.1.phone" -> 連絡先 2 件目の電話番号)."""
    if not field:
        return "入力内容", "the request"
    parts = field.split(".")
    words_ja, words_en = [], []
    for index, part in enumerate(parts):
        if part.isdigit():
            words_ja.append(f" {int(part) + 1} 件目の")
            words_en.append(f" #{int(part) + 1}")
            continue
        ja, en = FIELD_WORDS.get(part, ("入力項目", part.replace("_", " ")))
        words_ja.append(ja)
        words_en.append(en if index == 0 else f" {en}")
    return "".join(words_ja).strip(), "".join(words_en).strip()


def problem(field: str, en: str, ja: str) -> dict[str, str]:
    """One entry of details.problems: the field's id and words, and what is wrong in both languages."""
    label_ja, label_en = field_words(field)
    return {"field": field, "label_ja": label_ja, "label_en": label_en, "problem": en, "problem_ja": ja}


def invalid_fields(problems: list[dict[str, str]]) -> Invalid:
    """One 422 naming every problem (details.problems); the message names the fields in words."""
    first = problems[0]
    if len(problems) == 1:
        en = f"{first['label_en']}: {first['problem']}"
        ja = f"{first['label_ja']}：{first['problem_ja']}"
    else:
        en = "Check these fields: " + "; ".join(f"{p['label_en']} ({p['problem']})" for p in problems)
        ja = "次の項目を確認してください：" + "、".join(f"{p['label_ja']}（{p['problem_ja']}）" for p in problems)
    return Invalid(en, ja, field=first["field"], details={"problems": problems})


def invalid(field: str, en: str, ja: str, **details: Any) -> Invalid:
    """A 422 about one field, named in words in the message (the id stays in "field" and details)."""
    error = invalid_fields([problem(field, en, ja)])
    error.details.update(details)
    return error


Row = TypeVar("Row")


def load_or_404(session: Session, model: type[Row], row_id: Any, *, field: str, what_en: str, what_ja: str,
                lock: bool = False, fresh: bool = False) -> Row:
    """The row with this id, or a 404 naming it ("need_id: no need 7"); `lock` reads it FOR UPDATE."""
    # FOR UPDATE on PostgreSQL makes a version check and the write one step (no lost update); SQLite's
    # BEGIN IMMEDIATE already serialises writers. A locked read reloads the row over any cached copy.
    row = session.get(model, row_id, with_for_update=lock or None, populate_existing=lock or fresh)
    if row is None:
        raise NotFound(f"{field}: no {what_en} {row_id}", f"{field}：{what_ja} {row_id} は見つかりません", field=field)
    return row


def check_version(current: int | str, sent: int | str | None, *, en: str, ja: str,
                  details: Callable[[], dict[str, Any]] | None = None) -> None:
    """Refuse a change made on another version than `current` (409 on "version", with `details()` when
    given); None skips the check."""
    if sent is None or sent == current:
        return
    raise Conflict(en, ja, field="version", details={"version": current, **(details() if details else {})})


def japanese_problem(error: dict[str, Any]) -> str:
    """Japanese wording of one pydantic validation error (falls back to a generic sentence)."""
    template = _JA_BY_TYPE.get(str(error.get("type", "")))
    if template is None:
        return "値が正しくありません"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：") or "値が正しくありません"


def _field_of(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    """Map domain, validation and HTTP errors to the one JSON error shape."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors() or [{"loc": ("body",), "msg": "invalid request", "type": "value_error"}]
        problems = [problem(_field_of(tuple(e.get("loc", ()))), str(e.get("msg", "invalid value")),
                            japanese_problem(e)) for e in errors]
        return JSONResponse(invalid_fields(problems).body(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: ("Not found", "見つかりません"), 405: ("Method not allowed", "許可されていない操作です")}
        en, ja = messages.get(exc.status_code, (str(exc.detail), str(exc.detail)))
        body = {"error": {"code": "http_error", "message": {"ja": ja, "en": en}, "field": None}}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))
