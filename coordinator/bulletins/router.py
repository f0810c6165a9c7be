"""HTTP: JMA bulletins and the declarations they propose (thin: parse, call the service, return)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session

from coordinator.auth.deps import CurrentUser, settings_of
from coordinator.bulletins import service
from coordinator.bulletins.models import (
    BulletinPublic,
    ConfirmRequest,
    DismissRequest,
    IngestResult,
    ProposalPublic,
)
from coordinator.db import SessionDep, SessionRoute
from coordinator.disasters.models import DisasterPublic
from coordinator.errors import Invalid

router = APIRouter(prefix="/api/v1/bulletins", tags=["bulletins"], route_class=SessionRoute)

Mode = Literal["live", "drill"]


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it passes the limit (nothing is read beyond it)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Invalid(f"body: {declared} bytes; at most {limit} are accepted",
                      f"body：{declared} バイトあります（上限 {limit} バイト）", field="body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Invalid(f"body: more than {limit} bytes", f"body：{limit} バイトを超えています", field="body")
        chunks.append(chunk)
    return b"".join(chunks)


def _ingest(session: Session, data: bytes, user: CurrentUser, limit: int) -> IngestResult:
    # Database work stays off the event loop, and the session closes in the thread that used it.
    try:
        return service.ingest(session, data=data, source="api", actor=user, max_bytes=limit)
    finally:
        session.close()


@router.post("", response_model=IngestResult, status_code=201,
             openapi_extra={"requestBody": {"required": True,
                                            "content": {"application/xml": {"schema": {"type": "string"}}}}})
async def ingest(request: Request, session: SessionDep, user: CurrentUser, response: Response) -> IngestResult:
    """Hand in one JMA bulletin (the XML as the body); stored once, it may open, update or withdraw a proposal."""
    limit = settings_of(request).bulletin_max_bytes
    data = await _body(request, limit)
    result = await run_in_threadpool(_ingest, session, data, user, limit)
    if result.duplicate:
        response.status_code = 200
    return result


@router.get("", response_model=list[BulletinPublic])
def list_(session: SessionDep, user: CurrentUser, mode: Mode = "live",
          limit: int = Query(default=50)) -> list[BulletinPublic]:
    """The most recent bulletins of one mode and what each did (without the XML)."""
    return [BulletinPublic.model_validate(b) for b in service.list_bulletins(session, actor=user, mode=mode,
                                                                             limit=limit)]


@router.get("/proposals", response_model=list[ProposalPublic])
def proposals(session: SessionDep, user: CurrentUser, mode: Mode = "live",
              status: Literal["open", "confirmed", "dismissed", "withdrawn", "all"] = "open") -> list[ProposalPublic]:
    """Proposed declarations of one mode (default: the open ones, newest first)."""
    rows = service.list_proposals(session, actor=user, mode=mode, status=None if status == "all" else status)
    return [ProposalPublic.model_validate(p) for p in rows]


@router.get("/proposals/{proposal_id}", response_model=ProposalPublic)
def proposal(proposal_id: int, session: SessionDep, user: CurrentUser) -> ProposalPublic:
    """One proposal with its area preview, affected associations and acting roles."""
    return ProposalPublic.model_validate(service.get_proposal(session, proposal_id=proposal_id, actor=user))


@router.get("/{bulletin_id}/xml")
def xml(bulletin_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """The bulletin exactly as received."""
    bulletin = service.get_bulletin(session, bulletin_id=bulletin_id, actor=user)
    return Response(bulletin.xml, media_type="application/xml; charset=utf-8")


@router.post("/{bulletin_id}/confirm", response_model=DisasterPublic, status_code=201)
def confirm(bulletin_id: int, session: SessionDep, user: CurrentUser,
            data: ConfirmRequest | None = None) -> DisasterPublic:
    """Confirm the proposal behind this bulletin: declares the disaster (or changes its area); name/area optional."""
    _, disaster = service.confirm(session, bulletin_id=bulletin_id, data=data or ConfirmRequest(), actor=user)
    return DisasterPublic.model_validate(disaster)


@router.post("/{bulletin_id}/dismiss", response_model=ProposalPublic)
def dismiss(bulletin_id: int, data: DismissRequest, session: SessionDep, user: CurrentUser) -> ProposalPublic:
    """Dismiss the proposal behind this bulletin, with a reason."""
    return ProposalPublic.model_validate(service.dismiss(session, bulletin_id=bulletin_id, data=data, actor=user))
