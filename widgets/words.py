"""The UI's fixed words (pane titles, keys, dialogs, header), in English and Japanese.

The dashboard speaks the runbook's language: `[runbook] lang`, else the environment's
LANG, as the runbook loader decides. The screen passes that language down to its
widgets (a constructor argument or a reactive); no widget reads config to find it.

The English text is the key: code keeps its English literal and asks `say(text, lang)`
for it, so English reads exactly as written and a word without a Japanese entry shows
in English rather than as a gap. Templates keep their `{name}` fields in both
languages and are filled after the look-up. Codes a runbook, an alert or a report
also uses (UP, DOWN, SEV2, T+0:17:05) stay as they are; their explanations are
translated (`STATE_HELP`).

Japanese is written as an on-call engineer in Japan reads it: katakana for the loan
words the team already uses (ランブック, メトリクス, エスカレーション), short nouns
for keys, since each wide character takes two cells of an 80-column key bar.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

EN: Final = "en"
JA: Final = "ja"

_PHASES = {f"Phase {n}": f"フェーズ{n}" for n in range(1, 10)}

JAPANESE: Final[Mapping[str, str]] = {
    # Pane titles (the dashboard, the starting screen, the help screen's sections).
    "Runbook": "ランブック",
    "Health": "ヘルス",
    "Metrics": "メトリクス",
    "Error log": "エラーログ",
    "Escalation": "エスカレーション",
    "times": "時刻",
    "starting…": "起動中…",
    "{title}: none configured. Add a {section} section to the config file.": (
        "{title}: 未設定です。設定ファイルに {section} セクションを追加してください。"
    ),
    # The header's alarms and states.
    "NOT SAVED": "未保存",
    "JOURNAL": "ジャーナル",
    "READ-ONLY": "読み取り専用",
    "RESOLVED": "解決済み",
    # Key bar descriptions: short, the bar is one line.
    "Filter log": "ログ絞込",
    "Alerts": "アラート",
    "Verdict": "判定",
    "Ack": "了解",
    "Status update": "状況報告",
    "Mark deploy": "デプロイ記録",
    "Graph window": "表示期間",
    "Resolve": "解決",
    "Release": "リリース",
    "Rollback": "ロールバック",
    "Roll back": "ロールバック",
    "Projector": "投影",
    "Zoom pane": "拡大",
    "Help": "ヘルプ",
    "Timeline": "経緯",
    "Guidance": "指針",
    "Close filter": "絞込を閉じる",
    "Quit": "終了",
    "palette": "コマンド",
    "Done": "完了",
    "Toggle done": "完了を切替",
    "Note": "メモ",
    "N/A": "対象外",
    "Expand": "展開",
    "Up": "上へ",
    "Down": "下へ",
    "Expand phase": "フェーズを展開",
    "Collapse phase": "フェーズを折りたたむ",
    "Top": "先頭へ",
    "Bottom": "末尾へ",
    **_PHASES,
    "Details": "詳細",
    "Follow/pause": "追従/停止",
    "Wrap/cut lines": "折返し/切詰め",
    "Page up": "前のページ",
    "Page down": "次のページ",
    "Oldest": "最古の行へ",
    "Newest": "最新の行へ",
    "Previous filter": "前の絞込",
    "Next filter": "次の絞込",
    "Close": "閉じる",
    "Cancel": "取り消し",
    "Confirm": "確認",
    "Back": "戻る",
    "Cancel action": "実行を中止",
    "Refresh git": "git を更新",
    "Output": "出力",
    "Send": "送信",
    # The command palette's entries (the bindings' tooltips).
    "Filter the error log": "エラーログを絞り込む",
    "Every alert of the incident, newest first": "インシデントの全アラート (新しい順)",
    "Every criterion of the verdict": "判定の全基準",
    "Acknowledge the escalation level reached": "到達したエスカレーション段階を了解する",
    "Compose and send a status update": "状況報告を作成して送信する",
    "Mark the production deploy now": "本番デプロイの時刻を今として記録する",
    "Cycle the graph window: 5m, 30m, 2h": "グラフの表示期間を切り替える: 5分、30分、2時間",
    "Resolve the incident (asks first)": "インシデントを解決する (確認あり)",
    "Release: git actions and deploy commands": "リリース: git 操作とデプロイコマンド",
    "Roll production back to the previous version": "本番を前のバージョンへロールバックする",
    "Projector mode, and back": "投影モードの切り替え",
    "Maximize the focused pane, or restore": "選択中のペインを最大化、または元に戻す",
    "Keys of every pane": "全ペインのキー操作",
    "Timeline of every event": "全イベントの経緯",
    "Best practices, guidelines": "ベストプラクティスとガイドライン",
    "Severity: {sev}": "重大度: {sev}",
    "Change the incident's severity to {sev} (journaled)": (
        "インシデントの重大度を {sev} に変更 (ジャーナルに記録)"
    ),
    "key: {key}": "キー: {key}",
    # The help screen.
    "Keys": "キー操作",
    "Dashboard": "ダッシュボード",
    "Anywhere": "共通",
    "States": "状態",
    "Jump to phase": "フェーズへ移動",
    "Endpoint detail": "エンドポイントの詳細",
    "Next / previous pane": "次 / 前のペイン",
    "Command palette: every action, severity, theme": (
        "コマンドパレット: すべての操作、重大度、テーマ"
    ),
    # Dialogs: prompts and confirmations.
    "Not applicable: why?": "対象外: 理由は?",
    "Choose one": "一つ選択",
    "Type why, or esc to leave it open.": "理由を入力。esc で未完了のまま",
    "Resolve the incident?": "インシデントを解決しますか?",
    "Stops the incident clock and the escalation ladder (journaled).": (
        "インシデントの時計とエスカレーションを止めます (ジャーナルに記録)。"
    ),
    "{n} runbook items are still open.": "ランブックの未完了項目が {n} 件あります。",
    "The post-deploy watch window is still running ({left} left).": (
        "デプロイ後の監視期間が続いています (残り {left})。"
    ),
    "The deploy is already marked: mark it again now?": (
        "デプロイは記録済みです。今の時刻で記録し直しますか?"
    ),
    "Marked at {time} UTC by {actor}.": "{time} UTC に {actor} が記録。",
    "Marking again moves the baseline and restarts the watch window.": (
        "記録し直すとベースラインが移り、監視期間が最初からになります。"
    ),
    "Mark again": "記録し直す",
    # Toasts after the user's own actions.
    "Deploy marked: baseline set, post-deploy watch started.": (
        "デプロイを記録: ベースラインを設定し、デプロイ後の監視を開始しました。"
    ),
    "Acknowledged by {actor}.": "{actor} が了解しました。",
    "Status update sent.": "状況報告を送信しました。",
    "The incident is already resolved.": "インシデントは解決済みです。",
    "Not ticked: gated": "未完了: 前提待ち",
    # The Escalation pane (and the projector's next escalation).
    "No escalation yet": "エスカレーションなし",
    "Call {who}": "{who}に連絡",
    "UNACKED": "未了解",
    "acked": "了解済み",
    "Top of the ladder": "最終段階です",
    "in {time}": "あと {time}",
    "Next: {who}": "次: {who}",
    "Next escalation in": "次のエスカレーションまで",
    "Status update OVERDUE {time}": "状況報告が {time} 超過",
    "Status update in {time}": "次の状況報告まで {time}",
    "Watch over · {n} checkpoints": "監視期間終了 · チェック {n} 回",
    "Watch {time} left": "監視期間 残り {time}",
    " · check {time}": " · 次のチェック {time}",
    "Clock not started": "インシデント時計は未開始",
    # The built-in ladder's roles (a role written in the config is shown as written).
    "Senior engineer": "シニアエンジニア",
    "Engineering manager": "エンジニアリングマネージャー",
    "Incident commander": "インシデントコマンダー",
    # The alert line and the alert list.
    "No alerts": "アラートなし",
    "{n} active": "発生中 {n} 件",
    "none active": "発生中なし",
    "(cleared)": "(解消)",
    "A alerts ({n})": "A アラート ({n} 件)",
    "Alerts: {n}, {active} active (newest first)": (
        "アラート: {n} 件、発生中 {active} 件 (新しい順)"
    ),
    "ACTIVE": "発生中",
    # The Error log's pinned line.
    "no ERROR lines yet": "ERROR 行はまだありません",
    "last error: {line}": "直近のエラー: {line}",
    "last error now: {line}": "直近のエラー (たった今): {line}",
    "last error {age} ago: {line}": "直近のエラー ({age}前): {line}",
    # The Health pane's heads (HTTP, MS, P50, P95 and UP% are codes, as in a report).
    "NAME": "名前",
    "STATE": "状態",
    "AGE": "経過",
    "DEPL%": "展開後%",
    "FOR": "継続",
    "LATENCY": "レイテンシ",
    "{age} ago": "{age}前",
    "waiting for the first probe…": "最初の測定を待っています…",
    "no [[endpoint]] configured": "[[endpoint]] が設定されていません",
    # An endpoint's detail (enter on the Health pane); checks and headers as they came.
    "No probe has completed yet.": "まだ測定が完了していません。",
    "Latest probe:": "最新の測定:",
    "no answer": "応答なし",
    "{n} bytes": "{n} バイト",
    " (cut at 64 KiB)": " (64 KiB で打ち切り)",
    "flaps {n}": "状態反転 {n} 回",
    "Checks": "チェック",
    "Response headers": "レスポンスヘッダー",
    "Body (excerpt)": "本文 (抜粋)",
    "Last {n} results (newest first)": "直近 {n} 件の結果 (新しい順)",
    # The deploy verdict line and its list (`V`).
    "Pass": "合格",
    "Fail": "不合格",
    "Inconclusive": "保留",
    "Verdict: {outcome}": "判定: {outcome}",
    "Verdict on batch {batch}: {outcome}": "バッチ {batch} の判定: {outcome}",
    " → roll back: ctrl+r": " → ロールバック: ctrl+r",
    ": decide, or wait": ": 判断するか、待ってください",
    "V: all {n}": "V: 全 {n} 件",
    "Verdict: no deploy to judge yet (mark it with D, or run a rolling batch)": (
        "判定: 判定するデプロイがまだありません (D で記録するか、ローリングのバッチを実行)"
    ),
    "No criteria": "基準なし",
    "outcome": "結果",
    "criterion": "基準",
    "value": "値",
    "threshold": "閾値",
    "window": "期間",
    "samples": "サンプル",
    " / {n} before": " / デプロイ前 {n}",
    "(report only)": "(記録のみ)",
    # The projector.
    "Incident clock": "インシデント経過時間",
    "Next escalation": "次のエスカレーション",
    "Escalates in": "エスカレーションまで",
    "no runbook loaded": "ランブックがありません",
    "All {n} phases complete": "全 {n} フェーズ完了",
    "Phase {n} of {total}": "フェーズ {n}/{total}",
    "all {done}/{total}": "全体 {done}/{total}",
    "CALL {who} · UNACKED · then {next}": "{who} に連絡 · 未了解 · その後 {next}",
    "no endpoints": "エンドポイントなし",
    "Last error: {line}": "直近のエラー: {line}",
    "No error lines yet": "エラー行はまだありません",
    "→ no trend yet": "→ 傾向はまだ不明",
    "leave projector": "投影を終了",
    "quit": "アプリを終了",
    # The Metrics pane's graphs (and the projector's figures).
    "min": "最小",
    "max": "最大",
    "now": "現在",
    "{change} vs baseline": "ベースライン比 {change}",
    "{change} vs base": "基準比 {change}",
    "{age} old": "{age}前の値",
    "waiting for the first sample…": "最初のサンプルを待っています…",
    # The release bar (git's names and versions stay as they are).
    "not tagged yet": "タグ未作成",
    "tagged": "タグ作成済み",
    "tagged and pushed": "タグ作成・push 済み",
    "tagged, not pushed": "タグ作成済み、未 push",
    "detached HEAD": "デタッチド HEAD",
    "on {branch}": "ブランチ {branch}",
    " · uncommitted changes": " · 未コミットの変更あり",
    "prod: no release tag yet · {where}": "本番: リリースタグなし · {where}",
    "prod {tag}": "本番 {tag}",
    " (pinned)": " (固定)",
    "hotfix {version} ({state})": "ホットフィックス {version} ({state})",
    "1 commit": "1 コミット",
    "{n} commits": "{n} コミット",
    "1 file": "1 ファイル",
    "{n} files": "{n} ファイル",
    "since {tag}": "({tag} 以降)",
    " (over {n} lines)": " ({n} 行超)",
    "merged into {main}": "{main} にマージ済み",
    "not merged into {main} yet": "{main} に未マージ",
    "no release": "リリースなし",
    "service reports {version}, tags say {tags}": "サービスの報告は {version}、タグは {tags}",
    "service reports {version}: the hotfix is live": (
        "サービスの報告は {version}: ホットフィックス稼働中"
    ),
    "service version unknown": "サービスのバージョン不明",
    # The output pane of a release action (its state words; exit codes stay codes).
    "no action has run": "まだ何も実行していません",
    "refused: {reason}": "拒否: {reason}",
    "running": "実行中",
    "succeeded": "成功",
    "failed": "失敗",
    "cancelled": "中止",
    # The status update composer.
    "(ctrl+s send · esc cancel)": "(ctrl+s 送信 · esc 取り消し)",
    "Nothing to send: the update is empty.": "送信する内容がありません: 報告が空です。",
    # The rollback and override dialogs.
    "Type {version} to confirm:": "確認のため {version} と入力してください:",
    "{typed} is not {version}; type it exactly, or esc to cancel": (
        "{typed} は {version} ではありません。正確に入力するか、esc で取り消してください"
    ),
    "Nothing typed: type {version} exactly, or esc to cancel": (
        "未入力です。{version} と正確に入力するか、esc で取り消してください"
    ),
    "Override": "オーバーライド",
    "Override? {what}": "オーバーライドしますか? {what}",
    "Refused: {reason}": "拒否: {reason}",
    "Why override? (journaled and sent)": "オーバーライドの理由 (ジャーナルに記録し、通知します)",
    "reason": "理由",
    "an override needs a reason; type it, or esc to cancel": (
        "オーバーライドには理由が必要です。入力するか、esc で取り消してください"
    ),
    "Type why, or esc to leave it refused.": "理由を入力。esc で拒否のまま",
    "tick “{item}”": "「{item}」を完了にする",
    # The rollback (ctrl+r, anywhere).
    "Roll production back to {version}": "本番を {version} へロールバック",
    "no [actions.commands.rollback] is configured": (
        "[actions.commands.rollback] が設定されていません"
    ),
    "no previous version is known: there is no version tag to go back to": (
        "前のバージョンが不明です: 戻り先のバージョンタグがありません"
    ),
    "rollback cancelled: nothing ran": "ロールバックを取り消しました: 何も実行していません",
    "rolling back to {version}…": "{version} へロールバック中…",
    # The Release screen.
    "Actions · enter: review, then confirm": "操作 · enter: 内容を確認してから実行",
    "Actions disabled: {reason}": "操作不可: {reason}",
    "Rolling deploy: {progress} · {waiting}": "ローリングデプロイ: {progress} · {waiting}",
    "Gates (must hold {seconds}s): {marks}": "ゲート ({seconds} 秒間の維持が必要): {marks}",
    "enter: override with a reason": "enter: 理由を添えてオーバーライド",
    "Create the hotfix branch from the production tag": (
        "本番タグからホットフィックスブランチを作成"
    ),
    "Tag the next version": "次のバージョンのタグを付ける",
    "Merge back to main and delete the branch": "main へマージしてブランチを削除",
    "no [git] section configured": "[git] セクションが設定されていません",
    "reading git…": "git を読み込み中…",
    "unavailable: {reason}": "利用不可: {reason}",
    "Run": "実行",
    "Run {name}": "{name} を実行",
    "run {name} {version}": "{name} {version} を実行",
    "Deploy batch {batch}/{total}": "バッチ {batch}/{total} をデプロイ",
    "Deploy batch {batch}/{total} again (it failed)": (
        "バッチ {batch}/{total} を再デプロイ (前回は失敗)"
    ),
    "Cancelled: nothing ran.": "取り消しました: 何も実行していません。",
    "The rolling deploy is complete: {progress}.": "ローリングデプロイは完了しました: {progress}。",
    "Refused: the override could not be journaled": (
        "拒否: オーバーライドをジャーナルに記録できませんでした"
    ),
    "cancelling: SIGINT sent to it and all it started (then SIGTERM, SIGKILL)": (
        "中止中: 本体と起動したすべてのプロセスに SIGINT を送信 (続いて SIGTERM、SIGKILL)"
    ),
}
"""English UI text -> Japanese. A template keeps the same `{fields}` in both."""

STATE_HELP: Final[tuple[tuple[str, str, str], ...]] = (
    ("UP", "Answering as expected", "期待どおり応答している"),
    ("WARN", "Answering, but slow or partly failing", "応答しているが遅い、または一部失敗"),
    ("DOWN", "Failing its checks", "チェックに失敗している"),
    ("STALE", "No recent probe: the figure is old", "最近の測定がない: 値が古い"),
    ("PENDING", "Not probed yet", "まだ測定していない"),
    ("FLAPPING", "Going down and up again and again", "ダウンと復旧を繰り返している"),
    ("CRIT", "A metric past its critical threshold", "メトリクスが危険閾値を超えた"),
    ("NO DATA", "A metric with no sample yet", "メトリクスの値がまだない"),
)
"""State codes (kept as codes in both languages) and what each means, in each language."""


def say(text: str, lang: str) -> str:
    """`text`, an English UI word or template, in `lang` (English when it has no entry)."""
    if lang == JA:
        return JAPANESE.get(text, text)
    return text


def state_help(lang: str) -> list[tuple[str, str]]:
    """(code, what it means) rows for the help screen, in `lang`."""
    return [(code, ja if lang == JA else en) for code, en, ja in STATE_HELP]
