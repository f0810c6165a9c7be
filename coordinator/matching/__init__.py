"""Matching: turn needs, offers and the agreement's eligibility into an optimal, explained support plan.

Pure Python (OR-Tools for the flow); no database and no HTTP here.
"""

from coordinator.matching.network import ArcTable, Candidate, CandidateVector, Eligibility, build_arcs
from coordinator.matching.solver import solve
from coordinator.matching.types import (
    UNMET_CODES,
    Arc,
    Fixed,
    MatchingInputError,
    Names,
    NeedInput,
    Plan,
    Proposal,
    SupplyInput,
    Unmet,
)

__all__ = [
    "UNMET_CODES",
    "Arc",
    "ArcTable",
    "Candidate",
    "CandidateVector",
    "Eligibility",
    "Fixed",
    "MatchingInputError",
    "Names",
    "NeedInput",
    "Plan",
    "Proposal",
    "SupplyInput",
    "Unmet",
    "build_arcs",
    "solve",
]
