"""Load the agreement file (TOML) into a validated Agreement; every problem names file, key and problem."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

import geo
from agreements.errors import AgreementError
from agreements.models import (
    Agreement,
    Block,
    BlockRoles,
    BulletinRules,
    CostPolicy,
    FiscalYear,
    Language,
    MatchingRule,
    Meta,
    RemindersRule,
    RequestsRule,
    Rotation,
    Secretariat,
    Stages,
    SupportKind,
)

DEFAULT_PATH = Path(__file__).resolve().parent / "default.toml"


class _AgreementFile(BaseModel):
    """The file exactly as written (unknown keys are typos, so they are refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meta: Meta
    blocks: tuple[Block, ...]
    fiscal_years: dict[str, dict[str, dict[str, BlockRoles]]]
    secretariat: Secretariat
    stages: Stages
    kinds: tuple[SupportKind, ...]
    languages: tuple[Language, ...]
    rotation: Rotation
    cost: CostPolicy
    requests: RequestsRule
    reminders: RemindersRule
    matching: MatchingRule
    bulletins: BulletinRules | None = None


def load_agreement(path: Path | str | None = None, data_dir: Path | str | None = None) -> Agreement:
    """Load and validate an agreement file (default: agreements/default.toml); cached per file version."""
    file = _resolved(str(path)) if path is not None else DEFAULT_PATH
    try:
        mtime = file.stat().st_mtime_ns
    except OSError as exc:
        raise AgreementError(str(file), "(file)", f"cannot read the agreement file: {exc.strerror}",
                             f"協定ファイルを読めません：{exc.strerror}") from None
    data_key = str(_resolved(str(data_dir))) if data_dir is not None else None
    return _load_cached(str(file), mtime, data_key)


@lru_cache(maxsize=64)
def _resolved(path: str) -> Path:
    # Resolving walks the file system (about 0.3 ms); pages ask for the agreement thousands of times.
    return Path(path).resolve()


@lru_cache(maxsize=32)
def _load_cached(file: str, mtime_ns: int, data_dir: str | None) -> Agreement:
    raw = _read_toml(file)
    parsed = _parse(file, raw)
    memberships = {a.id: a.block for a in geo.associations(data_dir)}
    _check(file, parsed, memberships)
    agreement = _build(file, parsed)
    agreement._cache["data_dir"] = data_dir  # the rules read names and distances from the same data
    return agreement


def _read_toml(file: str) -> dict[str, Any]:
    try:
        with open(file, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        key = f"line {match.group(1)}" if match else "(syntax)"
        raise AgreementError(file, key, f"not valid TOML: {exc}", f"TOML として読めません：{exc}") from None
    except OSError as exc:
        raise AgreementError(file, "(file)", f"cannot read the agreement file: {exc.strerror}",
                             f"協定ファイルを読めません：{exc.strerror}") from None


def _parse(file: str, raw: dict[str, Any]) -> _AgreementFile:
    try:
        return _AgreementFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = _key_of(first["loc"], raw)
        problem = first["msg"].removeprefix("Value error, ")
        problem_ja = f"値が不正です：{problem}"
        if first["type"] == "missing" and first["loc"][-1] == "source":
            problem = 'missing: every rule must name its source or say "assumption"'
            problem_ja = '出典（source）がありません：規則ごとに出典か "assumption" を書きます'
        elif first["type"] == "missing":
            problem, problem_ja = "missing", "必須の項目がありません"
        elif first["type"] == "extra_forbidden":
            problem, problem_ja = "unknown key (a typo?)", "不明なキーです（綴りの誤り？）"
        raise AgreementError(file, key, problem, problem_ja) from None


def _key_of(loc: tuple[Any, ...], raw: Any) -> str:
    """A dotted key as an administrator finds it in the file; list items are named by their id or tag."""
    parts: list[str] = []
    node = raw
    for item in loc:
        if isinstance(item, int) and isinstance(node, list):
            entry = node[item] if item < len(node) else None
            name = entry.get("id", entry.get("tag")) if isinstance(entry, dict) else None
            parts[-1] += f"[{name}]" if isinstance(name, str) else f"[{item + 1}]"
            node = entry
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def _fail(file: str, key: str, problem: str, problem_ja: str) -> None:
    raise AgreementError(file, key, problem, problem_ja)


def _check(file: str, parsed: _AgreementFile, memberships: dict[str, str]) -> None:
    """Cross-checks pydantic cannot do: membership, roles, references between sections."""
    blocks = parsed.blocks
    if not blocks:
        _fail(file, "blocks", "no blocks defined", "ブロックが定義されていません")
    block_ids = [b.id for b in blocks]
    for block_id, count in Counter(block_ids).items():
        if count > 1:
            _fail(file, f"blocks[{block_id}]", f"block id {block_id!r} is defined {count} times",
                  f"ブロック {block_id!r} が{count}回定義されています")
    member_of: dict[str, str] = {}
    for block in blocks:
        key = f"blocks[{block.id}].members"
        if not block.members:
            _fail(file, key, "the block has no members", "ブロックに構成団体がありません")
        for member in block.members:
            if member not in memberships:
                _fail(file, key, f"unknown association id {member!r} (not in data/associations.csv)",
                      f"協会ID {member!r} は data/associations.csv にありません")
            if member in member_of:
                where = "twice in this block" if member_of[member] == block.id else \
                    f"also a member of block {member_of[member]!r}"
                _fail(file, key, f"{member} is {where}: an association belongs to exactly one block",
                      f"{member} が重複しています（{member_of[member]}）：協会は一つのブロックにだけ属します")
            member_of[member] = block.id
    # Membership in the file must agree with the block column of the reference data.
    for block in blocks:
        for member in block.members:
            if memberships[member] != block.id:
                _fail(file, f"blocks[{block.id}].members",
                      f"{member} is in block {memberships[member]!r} in data/associations.csv",
                      f"{member} は data/associations.csv ではブロック {memberships[member]!r} です")
    for association_id, block_id in memberships.items():
        if association_id not in member_of:
            _fail(file, f"blocks[{block_id}].members",
                  f"{association_id} (block {block_id!r} in data/associations.csv) is in no block",
                  f"{association_id}（data/associations.csv ではブロック {block_id!r}）がどのブロックにもありません")
    _check_fiscal_years(file, parsed, block_ids, member_of)
    _check_block_references(file, parsed, block_ids, memberships)
    _check_catalogue(file, parsed)
    _check_reminders(file, parsed)


def _check_reminders(file: str, parsed: _AgreementFile) -> None:
    """Stages come later and later; escalations of a request come after its answer timeout."""
    timeout = parsed.requests.answer_timeout_hours
    for name, stages, after in (("request_escalations", parsed.reminders.request_escalations, timeout),
                                ("approved_reminders", parsed.reminders.approved_reminders, 0)):
        for index, stage in enumerate(stages):
            if stage.after_hours <= after:
                what_en = "requests.answer_timeout_hours" if index == 0 and after else "the stage before"
                what_ja = "requests.answer_timeout_hours" if index == 0 and after else "前の段階"
                _fail(file, f"reminders.{name}[{index}].after_hours",
                      f"{stage.after_hours} must be later than {what_en} ({after})",
                      f"{stage.after_hours} は{what_ja}（{after}）より後でなければなりません")
            after = stage.after_hours
        if name == "request_escalations" and any(stage.to == "supplier" for stage in stages):
            _fail(file, f"reminders.{name}", "the supporter is reminded at the answer timeout; escalations go to "
                  "others", "応援団体への督促は回答期限で行われます。エスカレーション先は他の者です")


def _check_fiscal_years(file: str, parsed: _AgreementFile, block_ids: list[str],
                        member_of: dict[str, str]) -> None:
    if not parsed.fiscal_years:
        _fail(file, "fiscal_years", "no fiscal year has coordinators", "年度ごとの幹事団体がありません")
    for year_text, sections in parsed.fiscal_years.items():
        if not re.fullmatch(r"(19|20|21)\d\d", year_text):
            _fail(file, f"fiscal_years.{year_text}", "a fiscal year must be a four-digit year such as 2026",
                  "年度は 2026 のような4桁の年で書きます")
        unknown_sections = set(sections) - {"blocks"}
        if unknown_sections:
            name = sorted(unknown_sections)[0]
            _fail(file, f"fiscal_years.{year_text}.{name}", "unknown key (a typo?)", "不明なキーです")
        roles = sections.get("blocks", {})
        for block_id in block_ids:
            if block_id not in roles:
                _fail(file, f"fiscal_years.{year_text}.blocks.{block_id}",
                      f"missing: fiscal year {year_text} names no coordinator for block {block_id!r}",
                      f"{year_text}年度のブロック {block_id!r} の幹事団体がありません")
        for block_id, role in roles.items():
            key = f"fiscal_years.{year_text}.blocks.{block_id}"
            if block_id not in block_ids:
                _fail(file, key, f"unknown block {block_id!r}", f"ブロック {block_id!r} は定義されていません")
            for field, member in [("coordinator", role.coordinator)] + [("deputies", d) for d in role.deputies]:
                if member_of.get(member) != block_id:
                    where = f"a member of {member_of[member]!r}" if member in member_of else "an unknown association"
                    _fail(file, f"{key}.{field}", f"{member} is not a member of block {block_id!r} ({where})",
                          f"{member} はブロック {block_id!r} の構成団体ではありません")
            listed = [role.coordinator, *role.deputies]
            for member, count in Counter(listed).items():
                if count > 1:
                    _fail(file, f"{key}.deputies", f"{member} is listed {count} times as coordinator or deputy",
                          f"{member} が幹事・副幹事に{count}回挙げられています")


def _check_block_references(file: str, parsed: _AgreementFile, block_ids: list[str],
                            memberships: dict[str, str]) -> None:
    failover = parsed.secretariat.failover.blocks
    if not failover:
        _fail(file, "secretariat.failover.blocks", "empty: the secretariat needs somewhere to fail over to",
              "事務局の代替先がありません")
    for block_id in failover:
        if block_id not in block_ids:
            _fail(file, "secretariat.failover.blocks", f"unknown block {block_id!r}",
                  f"ブロック {block_id!r} は定義されていません")
    if parsed.secretariat.id in memberships:
        _fail(file, "secretariat.id", f"{parsed.secretariat.id!r} is an association id; the secretariat needs its own",
              "事務局IDが協会IDと重複しています")
    order = parsed.stages.partner_blocks.order
    for block_id in block_ids:
        if block_id not in order:
            _fail(file, f"stages.partner_blocks.order.{block_id}", "missing (use [] for no partner blocks)",
                  "パートナーブロックの指定がありません（なければ [] と書きます）")
    for block_id, partners in order.items():
        key = f"stages.partner_blocks.order.{block_id}"
        if block_id not in block_ids:
            _fail(file, key, f"unknown block {block_id!r}", f"ブロック {block_id!r} は定義されていません")
        for partner in partners:
            if partner not in block_ids:
                _fail(file, key, f"unknown block {partner!r}", f"ブロック {partner!r} は定義されていません")
            if partner == block_id:
                _fail(file, key, "a block cannot be its own partner", "自ブロックはパートナーにできません")
        if len(set(partners)) != len(partners):
            _fail(file, key, "a partner block is listed twice", "パートナーブロックが重複しています")


def _check_catalogue(file: str, parsed: _AgreementFile) -> None:
    for section, ids in (("kinds", [k.id for k in parsed.kinds]),
                         ("languages", [lang.tag.lower() for lang in parsed.languages])):
        if not ids:
            _fail(file, section, "empty", f"{section} が空です")
        for item, count in Counter(ids).items():
            if count > 1:
                _fail(file, f"{section}[{item}]", f"duplicate id {item!r} ({count} entries)",
                      f"ID {item!r} が重複しています（{count}件）")
    cost = parsed.cost
    if not cost.allowed:
        _fail(file, "cost.allowed", "empty: at least one settlement must be allowed", "精算方法が一つもありません")
    if len(set(cost.allowed)) != len(cost.allowed):
        _fail(file, "cost.allowed", "a settlement is listed twice", "精算方法が重複しています")
    if cost.default not in cost.allowed:
        _fail(file, "cost.default", f"{cost.default!r} is not in cost.allowed",
              f"既定の精算方法 {cost.default!r} が cost.allowed にありません")
    if cost.confirm_above_yen_per_person_day is not None and not cost.confirm_source:
        _fail(file, "cost.confirm_source", 'name the source of confirm_above_yen_per_person_day or say "assumption"',
              "confirm_above_yen_per_person_day の出典（または \"assumption\"）を書いてください")
    rotation = parsed.rotation
    if not rotation.min_days <= rotation.default_days <= rotation.max_days:
        _fail(file, "rotation.default_days",
              f"must lie between min_days ({rotation.min_days}) and max_days ({rotation.max_days})",
              f"min_days（{rotation.min_days}）と max_days（{rotation.max_days}）の間でなければなりません")


def _build(file: str, parsed: _AgreementFile) -> Agreement:
    fiscal_years = {
        int(year): FiscalYear(year=int(year), blocks=sections.get("blocks", {}))
        for year, sections in sorted(parsed.fiscal_years.items())
    }
    sources: dict[str, str] = {"meta": parsed.meta.source}
    sources.update({f"blocks[{b.id}]": b.source for b in parsed.blocks})
    for year, fy in fiscal_years.items():
        sources.update({f"fiscal_years.{year}.blocks.{b}": r.source for b, r in fy.blocks.items()})
    sources.update({
        "secretariat": parsed.secretariat.source,
        "secretariat.failover": parsed.secretariat.failover.source,
        "stages": parsed.stages.source,
        "stages.cross_block_opening": parsed.stages.cross_block_opening_source,
        "stages.partner_blocks": parsed.stages.partner_blocks.source,
    })
    sources.update({f"kinds[{k.id}]": k.source for k in parsed.kinds})
    sources.update({f"languages[{lang.tag}]": lang.source for lang in parsed.languages})
    sources.update({"rotation": parsed.rotation.source, "cost": parsed.cost.source,
                    "requests": parsed.requests.source, "matching": parsed.matching.source,
                    "matching.partner_order": parsed.matching.partner_order_source})
    if parsed.bulletins is not None:
        sources.update({f"bulletins.{name}": getattr(parsed.bulletins, name).source
                        for name in ("earthquake", "tsunami", "weather")})
    if parsed.cost.confirm_source:
        sources["cost.confirm_above_yen_per_person_day"] = parsed.cost.confirm_source
    sources["reminders"] = parsed.reminders.source
    for name, stages in (("request_escalations", parsed.reminders.request_escalations),
                         ("approved_reminders", parsed.reminders.approved_reminders)):
        sources.update({f"reminders.{name}[{i}]": stage.source for i, stage in enumerate(stages)})
    return Agreement(
        meta=parsed.meta, blocks=parsed.blocks, secretariat=parsed.secretariat, stages=parsed.stages,
        kinds=parsed.kinds, languages=parsed.languages, rotation=parsed.rotation, cost=parsed.cost,
        request_timeout_hours=parsed.requests.answer_timeout_hours, reminders=parsed.reminders,
        counterpart_mode=parsed.matching.counterpart_mode,
        partner_order=parsed.matching.partner_order,
        fiscal_years=fiscal_years, sources=sources, source_file=file, bulletins=parsed.bulletins,
    )
