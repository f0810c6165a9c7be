"""Read a scenario file: YAML → schema → checks against the agreement and geography, errors at file:line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agreements import AgreementError
from agreements.languages import UnknownLanguage, resolve
from coordinator.bulletins.jmaxml import BulletinFormatError, parse_bulletin
from coordinator.drills.scenario import (
    AmendNeedInject,
    BulletinInject,
    NeedInject,
    OfferInject,
    Scenario,
    parse_offset,
)
from coordinator.reference import GeoError, current_agreement, municipality_or_none, resolve_area

SECRETARIAT_NAMES = ("clair", "secretariat")


class ScenarioError(Exception):
    """A scenario that cannot run: the file, the line, the field and why (English and Japanese)."""

    def __init__(self, path: str, line: int, field: str, message_en: str, message_ja: str) -> None:
        self.path, self.line, self.field = path, line, field
        self.message_en, self.message_ja = message_en, message_ja
        super().__init__(f"{path}:{line}: {field}: {message_en} / {message_ja}")


def _readable(delta: timedelta) -> str:
    """A relative time as text: -1h00m, 2d03h10m."""
    minutes = int(delta.total_seconds() // 60)
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    days, rest = divmod(minutes, 1440)
    return f"{sign}{f'{days}d' if days else ''}{rest // 60:02d}h{rest % 60:02d}m"


def _node_at(root: yaml.Node | None, loc: Sequence[Any]) -> yaml.Node | None:
    """The deepest YAML node along a field path (unknown steps, like union tags, are skipped)."""
    node = root
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(step):
                    node = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
    return node


def _line(root: yaml.Node | None, loc: Sequence[Any]) -> int:
    node = _node_at(root, loc)
    return node.start_mark.line + 1 if node is not None else 1


def _field(loc: Sequence[Any]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(file)"


def _drop_tags(loc: Sequence[Any], data: Any) -> list[Any]:
    """Pydantic puts a union member's tag into the path (injects.2.need.headcount): drop it."""
    out: list[Any] = []
    node = data
    for step in loc:
        indexable = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if (isinstance(node, dict) and step in node) or indexable:
            node = node[step]
            out.append(step)
        elif isinstance(node, dict) and isinstance(step, str) and step == node.get("type"):
            continue
        else:
            out.append(step)
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Parse and check a scenario file; ScenarioError names the file, line and reason."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(where, 0, "(file)", f"cannot read the file: {exc.strerror}",
                            f"ファイルを読めません：{exc.strerror}") from None
    return parse_scenario(text, where)


def parse_scenario(text: str, where: str = "<scenario>") -> Scenario:
    """Parse and check scenario text (see load_scenario)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioError(where, line, "(yaml)", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                            f"YAML として読めません：{getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ScenarioError(where, 1, "(file)", "a scenario is a mapping (id, title, disaster, start, injects)",
                            "シナリオはマッピング（id・title・disaster・start・injects）で書いてください")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = _drop_tags(error["loc"], data)
        raise ScenarioError(where, _line(root, loc), _field(loc), error["msg"],
                            f"値が正しくありません（{error['type']}）：{error['msg']}") from None
    _Checker(scenario, root, where).check()
    return scenario


class _Checker:
    """Checks that need the agreement and geography; each failure points at its YAML line."""

    def __init__(self, scenario: Scenario, root: yaml.Node | None, where: str) -> None:
        self.scenario, self.root, self.where = scenario, root, where
        self.agreement = current_agreement()
        self.known = set(self.agreement.association_ids)
        self.prefectures: frozenset[str] = frozenset()

    def fail(self, loc: Sequence[Any], en: str, ja: str) -> ScenarioError:
        return ScenarioError(self.where, _line(self.root, loc), _field(loc), en, ja)

    def association(self, loc: Sequence[Any], association_id: str, *, secretariat: bool = False) -> None:
        if association_id in self.known or (secretariat and association_id in SECRETARIAT_NAMES):
            return
        raise self.fail(loc, f"unknown association {association_id!r}",
                        f"協会 {association_id!r} は存在しません（data/associations.csv にありません）")

    def check(self) -> None:
        scenario = self.scenario
        affected = self.area()
        duration = self.duration()
        for index, name in enumerate(scenario.played):
            self.association(("played", index), name, secretariat=True)
        for name in scenario.actors:
            if name != "default":
                self.association(("actors", name), name)
        needs: set[str] = set()
        for index, inject in enumerate(scenario.injects):
            loc = ("injects", index)
            self.timing(loc, inject, duration)
            if isinstance(inject, NeedInject):
                self.need(loc, inject, affected)
                if inject.key in needs:
                    raise self.fail((*loc, "key"), f"need key {inject.key!r} is used twice",
                                    f"ニーズのキー {inject.key!r} が重複しています")
                needs.add(inject.key)
            elif isinstance(inject, AmendNeedInject):
                if inject.need not in needs:
                    raise self.fail((*loc, "need"), f"no need {inject.need!r} is declared before this inject",
                                    f"この時点より前にニーズ {inject.need!r} が宣言されていません")
                if inject.language is not None:
                    self.language((*loc, "language"), inject.language)
            elif isinstance(inject, OfferInject):
                self.association((*loc, "association"), inject.association)
                if inject.association in affected:
                    raise self.fail((*loc, "association"), f"{inject.association} is affected and cannot offer",
                                    f"{inject.association} は被災地域の協会のため申し出できません")
                for i, kind in enumerate(inject.kinds):
                    self.kind((*loc, "kinds", i), kind)
                for i, language in enumerate(inject.languages):
                    self.language((*loc, "languages", i), language)
                if inject.until_day < inject.from_day:
                    raise self.fail((*loc, "until_day"), "must not be before from_day",
                                    "from_day より前にはできません")
            elif isinstance(inject, BulletinInject):
                scenario.injects[index] = self.bulletin((*loc, "file"), inject)
            elif hasattr(inject, "association"):
                self.association((*loc, "association"), inject.association,
                                 secretariat=inject.type == "coordinator_unreachable")

    def bulletin(self, loc: Sequence[Any], inject: BulletinInject) -> BulletinInject:
        """The inject with its file resolved next to the scenario, once the file reads as a JMA bulletin."""
        path = Path(inject.file)
        if not path.is_absolute():
            path = (Path(self.where).parent / path).resolve()
        try:
            parse_bulletin(path.read_bytes())
        except OSError as exc:
            raise self.fail(loc, f"cannot read the bulletin {inject.file}: {exc.strerror}",
                            f"電文 {inject.file} を読めません：{exc.strerror}") from None
        except BulletinFormatError as exc:
            raise self.fail(loc, f"{inject.file} is not a JMA bulletin: {exc.field}: {exc.message_en}",
                            f"{inject.file} は気象庁の電文ではありません：{exc.field}：{exc.message_ja}") from None
        return inject.model_copy(update={"file": str(path)})

    def area(self) -> frozenset[str]:
        spec = self.scenario.disaster.area
        loc = ("disaster", "area")
        given = [n for n in ("prefectures", "municipalities", "geojson", "epicentre") if getattr(spec, n) is not None]
        if len(given) != 1:
            raise self.fail(loc, "give exactly one of prefectures, municipalities, geojson or epicentre",
                            "prefectures・municipalities・geojson・epicentre のいずれか一つを指定してください")
        try:
            if spec.prefectures is not None:
                area = resolve_area(prefectures=spec.prefectures)
            elif spec.municipalities is not None:
                area = resolve_area(municipalities=spec.municipalities)
            elif spec.geojson is not None:
                area = resolve_area(geojson=json.dumps(spec.geojson))
            else:
                assert spec.epicentre is not None
                area = resolve_area(epicentre=(spec.epicentre.lon, spec.epicentre.lat), radius_km=spec.radius_km)
        except GeoError as exc:
            raise self.fail((*loc, given[0]), f"bad area: {exc.message_en}",
                            f"区域が正しくありません：{exc.message_ja}") from None
        self.prefectures = frozenset(area.prefecture_codes)
        if not area.association_ids:
            raise self.fail(loc, "no association is affected by this area",
                            "この区域に該当する地域国際化協会がありません")
        return frozenset(area.association_ids)

    def duration(self) -> timedelta:
        try:
            duration = parse_offset(self.scenario.duration)
        except ValueError as exc:
            raise self.fail(("duration",), str(exc), "期間は 72h・3d のように指定してください") from None
        if duration <= timedelta(0):
            raise self.fail(("duration",), "must be positive", "正の長さを指定してください")
        return duration

    def timing(self, loc: tuple[Any, ...], inject: Any, duration: timedelta) -> None:
        try:
            offset = inject.offset(self.scenario.start)
        except ValueError as exc:
            raise self.fail((*loc, "at"), str(exc), "時刻は 90m・2h・1d6h のように指定してください") from None
        except TypeError:
            raise self.fail((*loc, "at"), "an absolute time needs a time zone",
                            "絶対時刻にはタイムゾーンが必要です") from None
        if offset < timedelta(0):
            raise self.fail((*loc, "at"), f"inject at {_readable(offset)} is before the start of the drill",
                            f"この inject は訓練開始より前です（{_readable(offset)}）")
        if offset > duration:
            raise self.fail((*loc, "at"),
                            f"inject at {_readable(offset)} is after the end of the drill ({_readable(duration)})",
                            f"この inject は訓練終了（{_readable(duration)}）より後です")

    def kind(self, loc: tuple[Any, ...], kind: str) -> None:
        try:
            self.agreement.kind(kind)
        except AgreementError:
            known = ", ".join(k.id for k in self.agreement.kinds)
            raise self.fail(loc, f"unknown support kind {kind!r}; known: {known}",
                            f"支援の種類 {kind!r} は協定にありません（{known}）") from None

    def language(self, loc: tuple[Any, ...], tag: str) -> None:
        try:
            resolve(self.agreement, tag)
        except UnknownLanguage as error:
            raise self.fail(loc, error.problem, error.problem_ja) from None

    def need(self, loc: tuple[Any, ...], inject: NeedInject, affected: frozenset[str]) -> None:
        self.association((*loc, "requester"), inject.requester)
        if inject.requester not in affected:
            raise self.fail((*loc, "requester"), f"{inject.requester} is not affected by the drill's area",
                            f"{inject.requester} は訓練の被災区域の協会ではありません")
        self.kind((*loc, "kind"), inject.kind)
        self.language((*loc, "language"), inject.language)
        rotation = self.agreement.rotation
        if inject.days is not None and not rotation.min_days <= inject.days <= rotation.max_days:
            raise self.fail((*loc, "days"), f"must be between {rotation.min_days} and {rotation.max_days}",
                            f"{rotation.min_days} 日から {rotation.max_days} 日の範囲で指定してください")
        if inject.place is not None:
            municipality = municipality_or_none(inject.place)
            if municipality is None:
                raise self.fail((*loc, "place"), f"{inject.place!r} is not a municipality code",
                                f"{inject.place!r} は市区町村コードではありません")
            if municipality.pref_code not in self.prefectures:
                raise self.fail((*loc, "place"), f"municipality {inject.place} is not in the affected area",
                                f"市区町村 {inject.place} は被災区域にありません")
