"""`ouen data check`, `ouen area` and `ouen eligible`: the foundation's questions from the terminal."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from coordinator.cli import app

data_app = typer.Typer(help="Reference data and agreement checks.", no_args_is_help=True)
app.add_typer(data_app, name="data")

DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help="Reference data folder (default: data/).")]
AgreementOption = Annotated[Path | None, typer.Option("--agreement", help="Agreement file (default: bundled).")]
PrefecturesOption = Annotated[str | None, typer.Option("--prefectures", help="Prefecture codes, e.g. 17,18.")]
MunicipalitiesOption = Annotated[str | None, typer.Option("--municipalities", help="Municipality codes.")]
GeojsonOption = Annotated[Path | None, typer.Option("--geojson", help="GeoJSON file with the area.")]
EpicentreOption = Annotated[str | None, typer.Option("--epicentre", help="LON,LAT of the epicentre.")]
RadiusOption = Annotated[float | None, typer.Option("--radius-km", help="Radius around the epicentre, km.")]
OnOption = Annotated[str | None, typer.Option("--on", help="Date for the fiscal year (YYYY-MM-DD; today).")]


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def _on(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else date.today()
    except ValueError:
        _fail(f"--on: not a date (YYYY-MM-DD): {value!r} / 日付の形式が正しくありません")
        raise  # unreachable: _fail exits


def _resolve(prefectures: str | None, municipalities: str | None, geojson: Path | None,
             epicentre: str | None, radius_km: float | None, data_dir: Path | None) -> Any:
    import geo

    given = [x for x in (prefectures, municipalities, geojson, epicentre) if x is not None]
    if len(given) != 1:
        _fail("Give exactly one of --prefectures, --municipalities, --geojson, --epicentre "
              "/ 区域の指定方法を一つだけ指定してください")
    try:
        if prefectures is not None:
            return geo.resolve_area(prefectures=_split(prefectures), data_dir=data_dir)
        if municipalities is not None:
            return geo.resolve_area(municipalities=_split(municipalities), data_dir=data_dir)
        if geojson is not None:
            try:
                text = geojson.read_text(encoding="utf-8")
            except OSError as exc:
                _fail(f"--geojson: cannot read {geojson}: {exc}")
            return geo.resolve_area(geojson=text, data_dir=data_dir)
        try:
            lon, lat = (float(part) for part in (epicentre or "").split(","))
        except ValueError:
            _fail("--epicentre: expected LON,LAT, e.g. 130.76,32.75 / 震央は「経度,緯度」で指定してください")
        return geo.resolve_area(epicentre=(lon, lat), radius_km=radius_km, data_dir=data_dir)
    except geo.GeoError as exc:
        _fail(f"{exc.field}: {exc.message_en} / {exc.message_ja}")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _roles(area: Any, on: date, agreement_path: Path | None, data_dir: Path | None) -> tuple[Any, Any]:
    import agreements

    try:
        agreement = agreements.load_agreement(agreement_path, data_dir=data_dir)
        roles = agreements.acting_roles(agreement, affected=area.association_ids, on=on,
                                        affected_prefectures=area.prefecture_codes)
    except agreements.AgreementError as exc:
        _fail(str(exc))
    return agreement, roles


def _roles_dict(roles: Any) -> dict[str, Any]:
    return {
        "fiscal_year": roles.fiscal_year,
        "secretariat": {"id": roles.secretariat.id, "is_failover": roles.secretariat.is_failover,
                        "reason_en": roles.secretariat.reason_en, "reason_ja": roles.secretariat.reason_ja},
        "coordinators": {block: {"association_id": c.association_id, "is_deputy": c.is_deputy,
                                 "skipped": list(c.skipped), "reason_en": c.reason_en, "reason_ja": c.reason_ja}
                         for block, c in sorted(roles.coordinators.items())},
    }


@data_app.command("check")
def data_check(data_dir: DataDirOption = None, agreement: AgreementOption = None, on: OnOption = None) -> None:
    """Validate the reference data and the agreement, and print a summary."""
    import agreements
    import geo

    try:
        counts = geo.load_all(data_dir)
    except geo.GeoError as exc:
        _fail(f"Reference data is invalid / 参照データに誤りがあります:\n  {exc.message_en}\n"
              f"  {exc.message_ja}")
    try:
        loaded = agreements.load_agreement(agreement, data_dir=data_dir)
        roles = agreements.acting_roles(loaded, affected=(), on=_on(on))
    except agreements.AgreementError as exc:
        _fail(f"Agreement is invalid / 協定ファイルに誤りがあります:\n  {exc}")
    all_associations = geo.associations(data_dir=data_dir)
    by_block = Counter(a.block for a in all_associations)
    typer.echo(f"OK: {counts['prefectures']} prefectures, {counts['municipalities']} municipalities "
               f"(+{counts['wards']} wards), {counts['associations']} associations, "
               f"{counts['neighbour_pairs']} neighbour pairs / 参照データと協定は有効です")
    for block in loaded.blocks:
        coordinator = roles.coordinators[block.id].association_id
        typer.echo(f"  {block.id:<16} {block.name_ja:<8} {by_block[block.id]:>2} associations; "
                   f"coordinator FY{roles.fiscal_year}: {coordinator}")
    typer.echo(f"  secretariat: {roles.secretariat.id}")


@app.command("area")
def area(prefectures: PrefecturesOption = None, municipalities: MunicipalitiesOption = None,
         geojson: GeojsonOption = None, epicentre: EpicentreOption = None, radius_km: RadiusOption = None,
         on: OnOption = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
         data_dir: DataDirOption = None, agreement: AgreementOption = None) -> None:
    """Print the affected prefectures, municipalities and associations, and the acting coordinators."""
    resolved = _resolve(prefectures, municipalities, geojson, epicentre, radius_km, data_dir)
    _, roles = _roles(resolved, _on(on), agreement, data_dir)
    if as_json:
        typer.echo(json.dumps({**resolved.to_dict(), "acting_roles": _roles_dict(roles)}, ensure_ascii=False,
                              indent=2))
        return
    for warning in resolved.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW)
    typer.echo(f"Affected prefectures / 被災都道府県 ({len(resolved.prefectures)}):")
    for p in resolved.prefectures:
        share = f" {p.overlap_share:.0%}" if p.overlap_share is not None else ""
        typer.echo(f"  {p.code} {p.name_ja} ({p.name_en}): {p.reached_by}{share}")
    typer.echo(f"Affected municipalities / 被災市区町村: {len(resolved.municipalities)}")
    for m in resolved.municipalities[:20]:
        distance = f" {m.distance_km:.1f} km" if m.distance_km is not None else ""
        typer.echo(f"  {m.code} {m.name_ja}: {m.reached_by}{distance}")
    if len(resolved.municipalities) > 20:
        typer.echo(f"  ... and {len(resolved.municipalities) - 20} more (--json for all)")
    typer.echo(f"Affected associations / 被災協会 ({len(resolved.associations)}):")
    for a in resolved.associations:
        typer.echo(f"  {a.id} {a.name_ja}: {a.reason}")
    typer.echo(f"Acting coordinators FY{roles.fiscal_year} / 調整担当協会:")
    for block, c in sorted(roles.coordinators.items()):
        typer.echo(f"  {block:<16} {c.association_id}{' (deputy)' if c.is_deputy else ''}: {c.reason_en}")
    typer.echo(f"Acting secretariat / 事務局: {roles.secretariat.id}"
               f"{' (fail-over)' if roles.secretariat.is_failover else ''}: {roles.secretariat.reason_en}")


@app.command("eligible")
def eligible(requester: Annotated[str, typer.Option("--requester", help="Requesting association id.")],
             kind: Annotated[str, typer.Option("--kind", help="Support kind id.")],
             language: Annotated[str, typer.Option(
                 "--language", help="BCP 47 language tag the agreement lists (e.g. vi, pt-BR).")],
             place: Annotated[str | None, typer.Option("--place", help="Municipality code of the need.")] = None,
             cross_block: Annotated[bool, typer.Option("--cross-block", help="Cross-block support is open.")] = False,
             prefectures: PrefecturesOption = None, municipalities: MunicipalitiesOption = None,
             geojson: GeojsonOption = None, epicentre: EpicentreOption = None, radius_km: RadiusOption = None,
             as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
             data_dir: DataDirOption = None, agreement: AgreementOption = None) -> None:
    """Print the ranked eligible supporters for one need, and the excluded ones with why."""
    import agreements

    resolved = _resolve(prefectures, municipalities, geojson, epicentre, radius_km, data_dir)
    loaded, _ = _roles(resolved, date.today(), agreement, data_dir)
    try:
        result = agreements.eligible_supporters(loaded, requester=requester, kind=kind, language=language,
                                                place=place, affected=resolved.association_ids,
                                                cross_block_open=cross_block)
    except agreements.AgreementError as exc:  # e.g. a language the agreement does not list: say which it does
        _fail(f"{exc.key}: {exc.problem_ja}\n{exc.key}: {exc.problem}")
    except ValueError as exc:
        _fail(str(exc))
    order_en, order_ja = agreements.ranking_rule(loaded)
    if as_json:
        typer.echo(json.dumps({
            "eligible": [{"association_id": c.association_id, "block": c.block, "stage": c.stage,
                          "distance_km": round(c.distance_km, 1), "partner_rank": c.partner_rank,
                          "reasons_en": list(c.reasons_en), "reasons_ja": list(c.reasons_ja)}
                         for c in result.eligible],
            "excluded": [{"association_id": x.association_id, "code": x.code, "reason_en": x.reason_en,
                          "reason_ja": x.reason_ja} for x in result.excluded],
            "partner_order": loaded.partner_order,
            "order_en": order_en, "order_ja": order_ja,
        }, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Order / 順位: {order_en}")
    typer.echo(f"              {order_ja}")
    typer.echo(f"Eligible supporters / 支援可能な協会 ({len(result.eligible)}):")
    for rank, c in enumerate(result.eligible, start=1):
        typer.echo(f"  {rank:>2}. {c.association_id:<20} stage {c.stage} {c.distance_km:7.1f} km  "
                   f"{'; '.join(c.reasons_en)}")
    typer.echo(f"Excluded / 対象外 ({len(result.excluded)}):")
    for x in result.excluded:
        typer.echo(f"  {x.association_id:<20} {x.code}: {x.reason_en}")
