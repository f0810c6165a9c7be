"""Domain errors with bilingual messages, and the one handler that maps them to HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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
}


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
        first = exc.errors()[0] if exc.errors() else {"loc": ("body",), "msg": "invalid request"}
        field = _field_of(tuple(first.get("loc", ())))
        problems = [{"field": _field_of(tuple(e.get("loc", ()))), "problem": e.get("msg", ""),
                     "problem_ja": japanese_problem(e)} for e in exc.errors()]
        error = Invalid(f"{field}: {first.get('msg', 'invalid value')}",
                        f"入力内容に誤りがあります（{field}）：{japanese_problem(first)}",
                        field=field, details={"problems": problems})
        return JSONResponse(error.body(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: ("Not found", "見つかりません"), 405: ("Method not allowed", "許可されていない操作です")}
        en, ja = messages.get(exc.status_code, (str(exc.detail), str(exc.detail)))
        body = {"error": {"code": "http_error", "message": {"ja": ja, "en": en}, "field": None}}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))
