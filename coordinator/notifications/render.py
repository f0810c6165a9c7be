"""What a notification says: a title and a few lines in Japanese and English, from its event.

Rendered when it is read or sent (not when written), from the event and the names in the database, so the
writing transaction stays small. A drill's title and first line always start with 【訓練】.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from coordinator.associations.models import SECRETARIAT_ID, Association
from coordinator.disasters.models import Disaster
from coordinator.disasters.preview import readable
from coordinator.drills.marks import DRILL_MARK
from coordinator.events.models import Event
from coordinator.needs.models import Need
from coordinator.notifications.rules import BULLETIN_TYPES
from coordinator.reference import current_agreement

DRILL_LINE_JA = f"{DRILL_MARK}これは訓練の通知です。実際の災害ではありません。"
DRILL_LINE_EN = "DRILL: this is an exercise, not a real disaster."
SECRETARIAT_NAMES = ("事務局（自治体国際化協会）", "the secretariat (CLAIR)")


@dataclass(frozen=True, slots=True)
class Message:
    """A notification's words in both languages and where it leads."""

    title_ja: str
    title_en: str
    lines_ja: tuple[str, ...]
    lines_en: tuple[str, ...]
    link: str
    drill: bool

    @property
    def subject(self) -> str:
        """The e-mail subject: Japanese, with the drill mark first for drills."""
        return self.title_ja

    def text(self, url: str) -> str:
        """Plain text (Japanese first, then English) with the link; a drill's first line is its mark."""
        lines = [DRILL_LINE_JA] if self.drill else []
        lines += [self.title_ja, "", *self.lines_ja, "", f"開く：{url}", "", "— English —",
                  *([DRILL_LINE_EN] if self.drill else []), self.title_en, "", *self.lines_en, "", f"Open: {url}",
                  "", "このメッセージは ouen（応援）から自動送信されています。",
                  "This message was sent automatically by ouen."]
        return "\n".join(lines) + "\n"


class Names:
    """Association, kind, language and block names, loaded once per batch."""

    def __init__(self, session: Session, association_ids: set[str] | None = None) -> None:
        query = select(Association)
        if association_ids is not None:
            query = query.where(col(Association.id).in_(sorted(association_ids)))
        self._associations = {a.id: (a.name_ja, a.name_en) for a in session.exec(query)}
        self._associations[SECRETARIAT_ID] = SECRETARIAT_NAMES
        agreement = current_agreement()
        self._kinds = {k.id: (k.name_ja, k.name_en) for k in agreement.kinds}
        self._languages = {lang.tag.lower(): (lang.name_ja, lang.name_en) for lang in agreement.languages}
        self._blocks = {b.id: (b.name_ja, b.name_en) for b in agreement.blocks}

    def association(self, association_id: str | None) -> tuple[str, str]:
        """(ja, en) name of an association; the secretariat for None."""
        if association_id is None:
            return SECRETARIAT_NAMES
        return self._associations.get(association_id, (association_id, association_id))

    def kind(self, kind_id: str | None) -> tuple[str, str]:
        """(ja, en) name of a support kind."""
        return self._kinds.get(kind_id or "", (kind_id or "", kind_id or ""))

    def language(self, tag: str | None) -> tuple[str, str]:
        """(ja, en) name of a language."""
        return self._languages.get((tag or "").lower(), (tag or "", tag or ""))

    def block(self, block_id: str | None) -> tuple[str, str]:
        """(ja, en) name of a block."""
        return self._blocks.get(block_id or "", (block_id or "", block_id or ""))


def _marked(text: str, drill: bool) -> str:
    return f"{DRILL_MARK}{text}" if drill and not text.startswith(DRILL_MARK) else text


def _need_words(need: Need | None, names: Names, headcount: Any) -> tuple[str, str]:
    if need is None:
        return f"{headcount}名", f"{headcount} people"
    kind, language = names.kind(need.kind), names.language(need.language)
    return (f"{kind[0]}（{language[0]}）{headcount}名",
            f"{headcount} × {kind[1]} ({language[1]})")


def render(event: Event, disaster: Disaster | None, *, audience: str, link: str, names: Names,
           need: Need | None = None, association_id: str | None = None) -> Message:
    """The message of one event for one kind of audience (supplier, requester, approver, failover, …).

    `association_id` is the recipient's association: a fail-over message names the roles it now holds.
    A bulletin's proposal has no disaster while it is live (`disaster` None).
    """
    if event.type in BULLETIN_TYPES:
        return _bulletin(event, link)
    assert disaster is not None
    p: Mapping[str, Any] = event.payload or {}
    drill = disaster.mode == "drill"
    name = disaster.name
    supplier, requester = names.association(p.get("supplier_id")), names.association(p.get("requester_id"))
    what_ja, what_en = _need_words(need, names, p.get("headcount"))
    where = (f"災害：{name}", f"Disaster: {name}")
    t = event.type
    if audience == "failover":
        ja, en, lines = _failover(event, disaster, names, association_id)
    elif t == "dispatch.requested":
        ja = f"派遣要請：{requester[0]}への{what_ja}"
        en = f"Support requested: {what_en} for {requester[1]}"
        lines = ([f"{supplier[0]}に応援の要請が届きました。受諾または辞退を回答してください。", where[0]],
                 [f"{supplier[1]} is asked for support. Please accept or decline.", where[1]])
    elif t == "dispatch.proposed":
        ja = f"承認待ち：{supplier[0]}から{requester[0]}への{what_ja}"
        en = f"Waiting for approval: {what_en} from {supplier[1]} to {requester[1]}"
        lines = (["派遣の提案があなたの承認を待っています。", where[0]],
                 ["A dispatch proposal is waiting for your approval.", where[1]])
    elif t == "plan.committed":
        count = len(p.get("dispatch_ids") or [])
        ja, en = f"承認待ちの派遣提案 {count}件", f"{count} dispatch proposals waiting for approval"
        lines = (["支援計画が確定しました。担当分の提案を確認し、承認してください。", where[0]],
                 ["A support plan was committed. Please review and approve the proposals that are yours.",
                  where[1]])
    elif t in ("dispatch.accepted", "dispatch.declined", "dispatch.en_route", "dispatch.on_site",
               "dispatch.completed", "dispatch.cancelled", "dispatch.undone"):
        ja, en, lines = _answer(t, p, supplier, requester, (what_ja, what_en), where)
    elif t == "dispatch.overdue":
        hours = p.get("timeout_hours")
        ja = f"【督促】回答期限（{hours}時間）を過ぎた要請：{requester[0]}への{what_ja}"
        en = f"Reminder: a request waits past its {hours} h answer time: {what_en} for {requester[1]}"
        lines = ([f"{supplier[0]}への要請にまだ回答がありません。受諾または辞退を回答してください。"
                  "（自動で受諾されることはありません）", where[0]],
                 [f"{supplier[1]} has not answered this request yet. Please accept or decline "
                  "(nothing is ever accepted automatically).", where[1]])
    elif t in ("dispatch.reminded", "dispatch.escalated"):
        ja, en, lines = _reminder(t, p, supplier, requester, (what_ja, what_en), where)
    elif t == "dispatch.cost_flagged":
        cost = p.get("cost") or {}
        ja = f"費用の確認：{supplier[0]}の見込み費用 {cost.get('expected_cost_yen', 0):,}円"
        en = f"Cost to confirm: {supplier[1]} expects ¥{cost.get('expected_cost_yen', 0):,}"
        lines = ([f"1人1日あたり {cost.get('per_person_day_yen', 0):,}円で、協定の目安"
                  f"（{cost.get('threshold_yen_per_person_day', 0):,}円）を超えています。同意するまで費用は確定せず、"
                  "応援者も出発しません。", where[0]],
                 [f"That is ¥{cost.get('per_person_day_yen', 0):,} per person-day, above the agreement's "
                  f"¥{cost.get('threshold_yen_per_person_day', 0):,}. It binds you only once you agree; nobody "
                  "departs before.", where[1]])
    elif t == "dispatch.cost_agreed":
        ja = f"費用の同意：{requester[0]}が{what_ja}の見込み費用に同意"
        en = f"Cost agreed: {requester[1]} agreed to the cost of {what_en}"
        lines = (["要請団体が費用に同意しました。派遣を始められます（出発したら報告してください）。", where[0]],
                 ["The requester agreed to the cost. The dispatch may go ahead (report when your people leave).",
                  where[1]])
    elif t == "offer.recorded_on_behalf":
        offerer = names.association(p.get("association_id"))
        recorder = p.get("recorded_by") or {}
        by = names.association(recorder.get("association_id"))
        ja = f"代理登録：{by[0]}があなたの協会の応援の申し出（{p.get('headcount')}人）を登録しました"
        en = f"Recorded for you: {by[1]} recorded an offer of {p.get('headcount')} people for {offerer[1]}"
        lines = (["電話などで受けた申し出です。内容を確認し、違っていれば修正または取り下げてください。", where[0]],
                 ["An offer taken by phone or otherwise. Please check it, and amend or withdraw it if it is wrong.",
                  where[1]])
    else:
        ja, en, lines = _disaster(t, p, disaster, names)
    return Message(_marked(ja, drill), f"DRILL: {en}" if drill else en, tuple(lines[0]), tuple(lines[1]),
                   link, drill)


def _answer(t: str, p: Mapping[str, Any], supplier: tuple[str, str], requester: tuple[str, str],
            what: tuple[str, str], where: tuple[str, str]) -> tuple[str, str, tuple[list[str], list[str]]]:
    if t == "dispatch.accepted":
        cost = p.get("expected_cost_yen")
        lines: tuple[list[str], list[str]] = (
            [f"見込み費用：{cost:,}円" if isinstance(cost, int) else "", where[0]],
            [f"Expected cost: ¥{cost:,}" if isinstance(cost, int) else "", where[1]])
        if p.get("returned_headcount"):  # partial acceptance: the rest goes back to the need
            asked, returned = p.get("asked_headcount"), p.get("returned_headcount")
            lines[0].insert(0, f"依頼した{asked}名のうち{p.get('accepted_headcount')}名を受諾しました。"
                               f"残りの{returned}名は次の計画で他の応援団体を探します。")
            lines[1].insert(0, f"{p.get('accepted_headcount')} of the {asked} people asked were accepted; the other "
                               f"{returned} go back to the need for the next plan.")
        return (f"受諾：{supplier[0]}が{what[0]}の派遣を受諾", f"Accepted: {supplier[1]} sends {what[1]}", lines)
    if t == "dispatch.declined":
        reason = p.get("decline_reason") or ""
        return (f"辞退：{supplier[0]}が{what[0]}の派遣を辞退", f"Declined: {supplier[1]} cannot send {what[1]}",
                ([f"理由：{reason}", "他の応援団体を探す必要があります。", where[0]],
                 [f"Reason: {reason}", "Another supporter has to be found.", where[1]]))
    if t == "dispatch.cancelled":
        reason = p.get("cancel_reason") or "—"
        return (f"取り消し：{supplier[0]}から{requester[0]}への{what[0]}",
                f"Cancelled: {what[1]} from {supplier[1]} to {requester[1]}",
                ([f"この派遣は取り消されました。理由：{reason}", where[0]],
                 [f"This dispatch was cancelled. Reason: {reason}", where[1]]))
    steps = {"en_route": ("出発", "on the way"), "on_site": ("現地到着", "arrived on site"),
             "completed": ("派遣完了", "completed")}
    if t == "dispatch.undone":
        undone = steps.get(str(p.get("undone")), (str(p.get("undone")), str(p.get("undone"))))
        return (f"報告の取り消し：{supplier[0]}の{what[0]}「{undone[0]}」",
                f"Report taken back: {supplier[1]}'s {what[1]} \"{undone[1]}\"",
                ([f"「{undone[0]}」の報告は誤りとして取り消されました。", where[0]],
                 [f"The report \"{undone[1]}\" was taken back as a mistake.", where[1]]))
    step = steps[t.removeprefix("dispatch.")]
    return (f"{step[0]}：{supplier[0]}の{what[0]}", f"{supplier[1]}'s {what[1]}: {step[1]}",
            ([where[0]], [where[1]]))


def _reminder(t: str, p: Mapping[str, Any], supplier: tuple[str, str], requester: tuple[str, str],
              what: tuple[str, str], where: tuple[str, str]) -> tuple[str, str, tuple[list[str], list[str]]]:
    hours = p.get("after_hours")
    if p.get("waiting") == "approved":
        ja = f"【督促】承認から{hours}時間、要請が送られていない提案：{supplier[0]}から{requester[0]}へ"
        en = f"Reminder: approved {hours} h ago and not yet requested: {supplier[1]} to {requester[1]}"
        body = (["承認済みの派遣提案が、まだ応援団体へ要請されていません。要請するか取り消してください。", where[0]],
                ["An approved proposal has not been sent to the supporter. Request it or cancel it.", where[1]])
    else:
        ja = f"【エスカレーション】{supplier[0]}が{hours}時間回答していない要請：{requester[0]}への{what[0]}"
        en = f"Escalation: {supplier[1]} has not answered for {hours} h: {what[1]} for {requester[1]}"
        body = (["応援団体に連絡して回答を促すか、他の応援団体を検討してください。（自動で受諾されることはありません）",
                 where[0]],
                ["Please contact the supporter for an answer, or consider another supporter (nothing is "
                 "ever accepted automatically).", where[1]])
    if t == "dispatch.escalated" and p.get("waiting") == "approved":
        ja = ja.replace("【督促】", "【エスカレーション】")
        en = en.replace("Reminder:", "Escalation:")
    return ja, en, body


def _disaster(t: str, p: Mapping[str, Any], disaster: Disaster,
              names: Names) -> tuple[str, str, tuple[list[str], list[str]]]:
    name = disaster.name
    affected = [names.association(a) for a in disaster.affected_associations]
    listed_ja = "、".join(a[0] for a in affected[:8]) + (f" ほか{len(affected) - 8}団体" if len(affected) > 8 else "")
    listed_en = ", ".join(a[1] for a in affected[:8]) + (f" and {len(affected) - 8} more" if len(affected) > 8 else "")
    area = ([f"影響を受ける協会：{listed_ja}"], [f"Associations affected: {listed_en}"])
    titles = {
        "disaster.declared": ("災害宣言", "Disaster declared"),
        "disaster.area_changed": ("区域変更", "Area changed"),
        "disaster.closed": ("対応終了", "Closed"),
        "disaster.reopened": ("対応再開", "Reopened"),
        "disaster.cross_block_opened": ("ブロック間支援を開始", "Cross-block support opened"),
    }
    ja_word, en_word = titles.get(t, (t, t))
    if t == "disaster.cross_block_opened":
        lines = (["他ブロックの協会にも応援を依頼できるようになりました。", *area[0]],
                 ["Associations of other blocks may now be asked for support.", *area[1]])
    elif t == "disaster.closed":
        lines = (["この災害の対応は終了しました。進行中の派遣の報告は引き続きできます。"],
                 ["This disaster is closed. Dispatches under way can still report progress."])
    else:
        lines = area
    return f"{ja_word}：{name}", f"{en_word}: {name}", lines


def _failover(event: Event, disaster: Disaster, names: Names,
              association_id: str | None) -> tuple[str, str, tuple[list[str], list[str]]]:
    roles = (event.payload or {}).get("acting_roles") or disaster.acting_roles
    held = [c for c in (roles.get("coordinators") or {}).values() if c.get("association_id") == association_id]
    mine = association_id is not None and (held or (roles.get("secretariat") or {}).get("id") == association_id)
    lines_ja: list[str] = []
    lines_en: list[str] = []
    titles: list[tuple[str, str]] = []
    for block, coordinator in sorted((roles.get("coordinators") or {}).items()):
        if coordinator.get("is_deputy") and (not mine or coordinator.get("association_id") == association_id):
            block_name = names.block(block)
            who = names.association(coordinator.get("association_id"))
            titles.append((f"{who[0]}が{block_name[0]}ブロックの幹事団体を代行",
                           f"{who[1]} acts as coordinator of {block_name[1]}"))
            lines_ja.append(readable(coordinator.get("reason_ja") or ""))
            lines_en.append(readable(coordinator.get("reason_en") or ""))
    secretariat = roles.get("secretariat") or {}
    if secretariat.get("is_failover") and (not mine or secretariat.get("id") == association_id):
        who = names.association(secretariat.get("id"))
        titles.append((f"{who[0]}が事務局を代行", f"{who[1]} acts as the secretariat"))
        lines_ja.append(readable(secretariat.get("reason_ja") or ""))
        lines_en.append(readable(secretariat.get("reason_en") or ""))
    ja = "【代行】" + "、".join(t[0] for t in titles[:2]) + f"：{disaster.name}"
    en = "Acting role: " + "; ".join(t[1] for t in titles[:2]) + f": {disaster.name}"
    return ja, en, (["あなたの協会が、被災した団体に代わって調整を担います。", *lines_ja, f"災害：{disaster.name}"],
                    ["Your association now coordinates in place of an affected one.", *lines_en,
                     f"Disaster: {disaster.name}"])


def _bulletin(event: Event, link: str) -> Message:
    """A proposal made from a JMA bulletin, for the secretariat: what, why, where, and that nothing is declared."""
    p: Mapping[str, Any] = event.payload or {}
    proposal: Mapping[str, Any] = p.get("proposal") or {}
    drill = event.mode == "drill"
    name = str(proposal.get("name") or "").removeprefix(DRILL_MARK)
    change = proposal.get("action") == "change_area"
    what_ja, what_en = ("の区域変更", f"change the area of {name}") if change else ("の災害宣言", f"declare {name}")
    prefectures = proposal.get("prefectures") or []
    count = proposal.get("association_count") or 0
    where = (f"対象：{'、'.join(x.get('name_ja') or '' for x in prefectures)}（{count}団体）",
             f"Area: {', '.join(x.get('name_en') or '' for x in prefectures)} ({count} associations)")
    why = (str(proposal.get("reason_ja") or ""), str(proposal.get("reason_en") or ""))
    decide = ("「気象庁の電文」画面で確定・区域の編集・却下ができます。事務局が確定するまで宣言はされません。",
              "Confirm, edit the area or dismiss it on the JMA bulletins page. Nothing is declared until the "
              "secretariat confirms.")
    t = event.type
    if t == "bulletin.jma_cancelled":
        ja = f"【要確認】気象庁が電文を取り消しました：{name}"
        en = f"To check: JMA cancelled the bulletin behind {name}"
        lines = (["この災害は取り消された電文をもとに宣言されました。災害の継続・区域・終了を見直してください。",
                  f"災害：{name}"],
                 ["This disaster was declared from a bulletin JMA has cancelled (取消). Review whether it "
                  "continues, its area, or close it.", f"Disaster: {name}"])
    elif t == "bulletin.withdrawn":
        ja, en = f"【提案の取り下げ】{name}{what_ja}", f"Proposal withdrawn: {what_en}"
        lines = ([str(p.get("reason_ja") or "気象庁の電文により提案は取り下げられました。"), "対応は不要です。"],
                 [str(p.get("reason_en") or "A JMA bulletin withdrew the proposal."), "Nothing to do."])
    elif t == "bulletin.updated":
        ja, en = f"【提案の更新】{name}{what_ja}", f"Proposal updated: {what_en}"
        lines = (["後続の電文で提案の内容が変わりました。", why[0], where[0], decide[0]],
                 ["A later bulletin changed the proposal.", why[1], where[1], decide[1]])
    else:
        ja, en = f"【提案】{name}{what_ja}", f"Proposed: {what_en}"
        lines = ([why[0], where[0], decide[0]], [why[1], where[1], decide[1]])
    return Message(_marked(ja, drill), f"DRILL: {en}" if drill else en, tuple(lines[0]), tuple(lines[1]),
                   link, drill)
