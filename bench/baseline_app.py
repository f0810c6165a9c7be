"""Baseline for bench/write_ratio.py: the thinnest FastAPI + SQLModel + SQLite (WAL) app that stores a need
and its event per POST, with the same framework stack as ouen and the bearer token looked up by SHA-256 as
ouen does. The limit a write path can approach. (The reference shared with the issue, reformatted only.)"""

import hashlib
import os
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException
from sqlalchemy import event
from sqlmodel import Field, Session, SQLModel, create_engine, select


class Token(SQLModel, table=True):
    """A bearer token, by hash."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True)


class Need(SQLModel, table=True):
    """A need."""

    id: int | None = Field(default=None, primary_key=True)
    disaster_id: int
    requester_id: str
    kind: str
    language: str
    headcount: int
    start: str
    days: int
    place: str | None = None


class Event(SQLModel, table=True):
    """Its event."""

    seq: int | None = Field(default=None, primary_key=True)
    disaster_id: int
    type: str
    payload: str
    at: datetime


class NeedIn(SQLModel):
    """The request body."""

    requester_id: str
    kind: str
    language: str
    headcount: int
    start: str
    days: int
    place: str | None = None


engine = create_engine(os.environ.get("BASE_DB", "sqlite:///./baseline.sqlite3"),
                       connect_args={"check_same_thread": False})


@event.listens_for(engine, "connect")
def _pragmas(conn, _):  # type: ignore[no-untyped-def]
    c = conn.cursor()
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=NORMAL")
    c.close()


SQLModel.metadata.create_all(engine)
with Session(engine) as s:
    if not s.exec(select(Token)).first():
        s.add(Token(token_hash=hashlib.sha256(b"secret").hexdigest()))
        s.commit()

app = FastAPI()


def get_session():  # type: ignore[no-untyped-def]
    """A session per request."""
    with Session(engine) as s:
        yield s


def user(session: Annotated[Session, Depends(get_session)], authorization: str = Header()) -> Token:
    """The token's row, or 401."""
    tok = authorization.removeprefix("Bearer ")
    t = session.exec(select(Token).where(Token.token_hash == hashlib.sha256(tok.encode()).hexdigest())).first()
    if not t:
        raise HTTPException(401)
    return t


@app.post("/api/v1/disasters/{disaster_id}/needs", status_code=201)
def create(disaster_id: int, data: NeedIn, session: Annotated[Session, Depends(get_session)],
           u: Annotated[Token, Depends(user)]):  # type: ignore[no-untyped-def]  # no response model, as the reference
    """Store the need and its event."""
    n = Need(disaster_id=disaster_id, **data.model_dump())
    session.add(n)
    session.flush()
    session.add(Event(disaster_id=disaster_id, type="need.declared", payload=data.model_dump_json(),
                      at=datetime.now(UTC)))
    session.commit()
    session.refresh(n)
    return n


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}
