"""Errors of the agreement: a broken agreement file, or a question the agreement cannot answer."""

from __future__ import annotations


class AgreementError(ValueError):
    """A problem with the agreement or a question put to it, naming the file, the key and the problem."""

    def __init__(self, file: str, key: str, problem: str, problem_ja: str = "") -> None:
        self.file = file
        self.key = key
        self.problem = problem
        self.problem_ja = problem_ja or problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.problem}" if self.file else f"{self.key}: {self.problem}"


class NoCoordinatorLeft(AgreementError):
    """Every association that could coordinate a block (or act as secretariat) is affected."""


class InvalidQuestion(AgreementError):
    """A question put to the agreement names something it does not know (requester, kind, language...)."""

    def __init__(self, key: str, problem: str, problem_ja: str = "") -> None:
        super().__init__("", key, problem, problem_ja)
