"""What each audit action code means, in Japanese, for the 監査ログ page (the code is shown beside it)."""

from __future__ import annotations

from lgcloud.web.ui.residents import FORMS

ACTION_LABELS = {
    "login": "ログイン",
    "permission.denied": "権限のない操作",
    "audit.read": "監査ログの閲覧",
    "audit.verify": "監査ログの改ざん検証",
    "group.create": "クラウドグループの作成",
    "municipality.join": "構成団体の加入",
    "municipality.leave": "構成団体の脱退",
    "municipality.status": "構成団体の移行状況の変更",
    "user.add": "利用者の追加",
    "user.enable": "利用者の有効化",
    "user.disable": "利用者の無効化",
    "token.create": "API トークンの発行",
    "token.revoke": "API トークンの失効",
    "token.use": "API トークンでの接続",
    "analytics.import-costs": "費用データの取込",
    "analytics.import-population": "人口データの取込",
    "analytics.import-status": "移行状況データの取込",
    "analytics.delete-status": "移行状況データの削除",
    "moji.mapping.propose": "外字対応の登録(確認待ち)",
    "moji.mapping.confirm": "外字対応の確定",
    "moji.mapping.reject": "外字対応の却下",
    "moji.mapping.import": "外字対応表の取込",
    "moji.mapping.export": "外字対応表の出力",
    "resident:record:read": "住民票の閲覧",
    "resident:record:search": "住民の検索",
    "resident:household:read": "世帯の閲覧",
    "resident:ido:read": "異動の閲覧",
    "resident:code-pool:load": "払出し用住民票コードの追加",
    "certificate:preview": "証明書の確認表示",
    "certificate:issue": "証明書の交付",
    "certificate:download": "交付済み証明書の再出力",
    "certificate:dispose": "交付済み証明書の処分",
    "certificate:verify": "証明書の照合",
    "certificate:history": "交付履歴の閲覧",
    "certificate:members": "交付対象者の表示",
    "protection:suppression:set": "抑止の設定",
    "protection:suppression:release": "抑止の解除",
    "protection:suppression:temp-release": "抑止の一時解除",
    "protection:disclosure:alert": "交付・閲覧時の警告",
    "protection:disclosure:refused": "交付・閲覧の拒否(支援措置・抑止)",
    "protection:disclosure:released": "審査による解除での交付・閲覧",
    "protection:disclosure:release": "交付・閲覧の審査(解除する)",
    "protection:disclosure:reject": "交付・閲覧の審査(解除しない)",
    "protection:state:read": "支援措置・抑止の状態の照会",
    "protection:alerts:read": "期間満了の警告の閲覧",
    "protection:requests:read": "審査依頼の閲覧",
    "protection:desk:read": "抑止・支援措置画面の閲覧",
    "protection:support:register": "支援措置の申出の受付(仮支援措置)",
    "protection:support:decide": "支援措置の決定",
    "protection:support:extend": "支援措置の延長",
    "protection:support:end": "支援措置の終了",
    "protection:support:transfer": "支援措置の転送",
    "protection:support:list": "支援措置の一覧",
    "protection:support:read": "支援措置の閲覧",
    "protection:support:end-notice": "支援措置期間終了通知の出力",
    "linkage:feed:read": "連携イベントの取得(PULL)",
    "linkage:file:schedule": "連携ファイルの作成設定",
    "linkage:file:download": "連携ファイルのダウンロード",
    "linkage:handoff:send": "団体間: 転出証明書情報の送信",
    "linkage:inbox:receive": "団体間: 受信",
    "linkage:inbox:complete": "団体間: 特例転入の完了",
    "linkage:inbox:list": "団体間 受信箱の閲覧",
    "linkage:inbox:read": "団体間 受信項目の閲覧",
    "linkage:deliveries:retry": "配信停止分の再送",
    "linkage:subscription:create": "連携先の登録",
    "linkage:subscription:pause": "連携先の配信停止",
    "linkage:subscription:resume": "連携先の配信再開",
    "linkage:subscription:replay": "連携イベントの再送(リプレイ)",
    "migration:import": "移行データの取込",
    "migration:import.start": "移行データの取込開始",
    "migration:export": "移行データの出力",
    "migration:export.start": "移行データの出力開始",
    "migration:export.download": "出力ファイルのダウンロード",
    "migration:quarantine.download": "隔離ファイルのダウンロード",
    "migration:report.download": "隔離理由一覧のダウンロード",
}
#: Families of actions whose last part varies: the label of the family.
PREFIX_LABELS = {
    "linkage:subscription:": "連携先の変更",
    "linkage:file:": "連携ファイルの作成",
    "protection:support:": "支援措置",
}


def action_label(action: str) -> str:
    """The Japanese name of an audit action; "" for one not known here (the code alone is then shown)."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action.startswith("resident:ido:"):
        title = FORMS.get(action.removeprefix("resident:ido:"), (None, False))[0]
        return f"異動の入力({title})" if title else "異動の入力"
    return next((label for prefix, label in PREFIX_LABELS.items() if action.startswith(prefix)), "")
