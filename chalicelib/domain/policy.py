"""The consent and privacy texts patients read in the mini-program, defined once: the policy
version, each consent purpose's title and what it covers, the privacy policy, the labels of
conditions and of subscribe-message kinds (zh-CN)."""

from __future__ import annotations

from chalicelib.domain.risk import CONDITION_NAMES
from chalicelib.domain.rules import PURPOSES

# Raise it whenever a text below changes in meaning: registrations and consent changes record
# the version the patient agreed to (`consent_version`).
POLICY_VERSION = "v1"

# purpose -> (title, what it covers, required to register)
PURPOSE_TEXTS: dict[str, tuple[str, str, bool]] = {
    "service": ("诊疗服务与健康数据",
                "用于建立您的健康档案、记录打卡和就诊、计算积分，并向您发送复诊提醒等与诊疗直接相关的服务通知。"
                "这是使用本服务的前提，不同意将无法建档。", True),
    "marketing": ("活动与优惠信息",
                  "用于向您发送诊所的健康活动、课程和优惠信息。可随时在“我的-隐私与授权”中撤回，"
                  "撤回后不再发送此类消息，不影响诊疗服务。", False),
    "analytics": ("服务改进分析",
                  "用于在去除身份信息后统计复诊率、打卡情况等，帮助诊所改进服务。可随时撤回，不影响诊疗服务。", False),
}
assert set(PURPOSE_TEXTS) == set(PURPOSES)

# Every consent text ever published, by version. A new text is a new version appended here; a
# published one is never edited (tests/unit/test_consent_texts.py pins each by its hash), so the
# text a patient agreed to can always be shown again, to them and to staff.
CONSENT_TEXTS: dict[str, dict[str, tuple[str, str, bool]]] = {
    "v1": PURPOSE_TEXTS,
}
assert POLICY_VERSION in CONSENT_TEXTS

# kind of subscribe message (services.outbound.COMPOSERS) -> (purpose, title)
MESSAGE_KINDS: dict[str, tuple[str, str]] = {
    "recall": ("service", "复诊提醒"),
    "content": ("marketing", "健康内容推送"),
    "checkup": ("service", "儿童体检提醒"),
}

PRIVACY_POLICY = """隐私政策

本诊所使用“Revisit”患者服务小程序为您提供建档、打卡、积分和复诊提醒服务。我们重视您的个人信息保护，请您仔细阅读本政策。

一、我们收集的信息
1. 建档信息：姓名、手机号、出生年份、性别、所在区域、病种或就诊科室，以及您自己设置的昵称。
2. 健康与活动数据：您主动上传的血糖、步数等打卡记录，就诊与复诊日期，任务和挑战的完成情况。
3. 微信信息：微信为本小程序分配的用户标识（openid），仅用于登录和发送您订阅的消息；微信运动步数仅在您授权后读取。

二、我们如何使用
1. 提供诊疗相关服务：健康档案、复诊提醒、打卡积分与奖励兑换。
2. 在您同意后，发送活动与优惠信息，或在去除身份信息后做服务改进统计。
3. 我们不会出售您的个人信息，也不会用于与上述目的无关的用途。健康内容仅供参考，不构成医学诊断。

三、保存与保护
姓名、手机号和昵称加密保存，工作人员仅能看到脱敏后的信息。您的信息保存至您注销档案为止；注销后我们将删除您的档案及相关记录，法律法规另有要求的除外。

四、您的权利
您可以在小程序中查看和修改个人资料、随时撤回各项授权、导出您的全部数据，或注销档案并删除全部数据。

五、联系我们
如对本政策或您的个人信息有任何疑问，请联系诊所前台或通过小程序内“联系诊所”与我们联系，我们将在十五个工作日内答复。
"""


def condition_label(condition: str) -> str:
    """The Chinese name of a condition (the code itself when none is known)."""
    names = CONDITION_NAMES.get(condition)
    return names[0] if names else condition


def purposes_view(version: str = POLICY_VERSION) -> list[dict[str, object]]:
    return [{"purpose": purpose, "title": title, "text": text, "required": required}
            for purpose, (title, text, required) in CONSENT_TEXTS[version].items()]
