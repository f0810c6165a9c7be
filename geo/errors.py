"""The one error geo raises: a ValueError naming the field, with a message in English and Japanese."""

from __future__ import annotations


class GeoError(ValueError):
    """Bad geographic input or broken reference data; `field` names what was wrong."""

    def __init__(self, field: str, message_en: str, message_ja: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.message_en = message_en
        self.message_ja = message_ja

    def __str__(self) -> str:
        return self.message_en

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form: field and both messages."""
        return {"field": self.field, "message_en": self.message_en, "message_ja": self.message_ja}
