"""The association table and its public shape."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

SECRETARIAT_ID = "clair"


class AssociationBase(SQLModel):
    """Fields shared by the table and the API shape."""

    name_ja: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    kind: str = Field(max_length=16)  # prefecture | city | secretariat
    prefecture_code: str = Field(max_length=2, index=True)
    block: str | None = Field(default=None, max_length=32, index=True)
    municipality_code: str | None = Field(default=None, max_length=5)
    lat: float | None = None
    lon: float | None = None
    verified: bool = True


class Association(AssociationBase, table=True):
    """One regional international association, or the secretariat pseudo-association "clair"."""

    id: str = Field(primary_key=True, max_length=64)


class AssociationPublic(AssociationBase):
    """An association as the API shows it."""

    id: str
