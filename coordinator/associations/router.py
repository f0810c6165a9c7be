"""HTTP: the association directory, readable by any signed-in user."""

from __future__ import annotations

from fastapi import APIRouter

from coordinator.associations.models import AssociationPublic
from coordinator.associations.service import get_association, list_associations
from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionDep, SessionRoute

router = APIRouter(prefix="/api/v1/associations", tags=["associations"], route_class=SessionRoute)


@router.get("", response_model=list[AssociationPublic])
def read_associations(session: SessionDep, _user: CurrentUser) -> list[AssociationPublic]:
    """All associations and the secretariat."""
    return [AssociationPublic.model_validate(row, from_attributes=True) for row in list_associations(session)]


@router.get("/{association_id}", response_model=AssociationPublic)
def read_association(association_id: str, session: SessionDep, _user: CurrentUser) -> AssociationPublic:
    """One association by id."""
    return AssociationPublic.model_validate(get_association(session, association_id), from_attributes=True)
