"""HTTP: the signed-in person's to-do list (thin)."""

from __future__ import annotations

from fastapi import APIRouter

from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionDep, SessionRoute
from coordinator.todo import service
from coordinator.todo.models import TodoList

router = APIRouter(prefix="/api/v1", tags=["todo"], route_class=SessionRoute)


@router.get("/todo", response_model=TodoList)
def todo(session: SessionDep, user: CurrentUser) -> TodoList:
    """What waits for the caller (approvals, requests to answer, decisions), live first, with who they act as."""
    return service.todo_for(session, actor=user)
