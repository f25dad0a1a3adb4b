"""A new clinic's default segments: the silent patients (S3 reactivation) and the three
postpartum personas (S1), each persona with its own content path.

The silent segment's rule and name follow the clinic's silent days (chalicelib.domain.kpis): the
dashboard's silent figures and this segment count the same patients. Its id keeps the "180" it
was born with, as ids are stable keys (memberships, planned messages, message sources).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.kpis import DEFAULT_SILENT_DAYS, silent_rule

POSTPARTUM = {"field": "condition", "in": ["postpartum"]}
SILENT_SEGMENT_ID = "silent-180"


def _persona(tag: str) -> dict[str, Any]:
    return {"all": [POSTPARTUM, {"field": "persona", "in": [tag]}]}


def silent_texts(days: int) -> dict[str, Any]:
    """The silent segment's rule, name and description for a clinic's silent days."""
    return {
        "rule": silent_rule(days),
        "name": f"沉默超过{days}天",
        "name_en": f"Silent for over {days} days",
        "description": f"超过{days}天没有任何互动（打卡、分享、兑换、阅读消息、就诊）的患者，用于唤醒活动",
    }


DEFAULT_SEGMENTS: list[dict[str, Any]] = [
    {
        "segment_id": SILENT_SEGMENT_ID,
        **silent_texts(DEFAULT_SILENT_DAYS),
        # S3: the reactivation campaign, a marketing message on joining and a reminder two weeks later
        "content_path": {
            "cadence_days": 14, "purpose": "marketing", "send_at": "10:00",
            "steps": [
                {"kind": "text", "title": "{nickname}，好久不见", "health": False,
                 "body": "{clinic}想念您了：本月回来做一次口腔检查，积分翻倍，还可预约您熟悉的医生。"},
                {"kind": "link", "title": "您的检查名额还为您保留", "health": False,
                 "body": "打开小程序看看您的复诊时间，到诊即送积分。", "url": "pages/home/index"},
            ],
        },
    },
    {
        "segment_id": "postpartum-anxious",
        "condition": "postpartum",
        "name": "产后·焦虑型",
        "name_en": "Postpartum: anxious",
        "description": "心理咨询师的音频指导，加一对一咨询通道",
        "rule": _persona("anxious"),
        "content_path": {
            "cadence_days": 7, "purpose": "service", "send_at": "20:00",
            "steps": [
                {"kind": "audio", "title": "{nickname}，产后情绪放松练习（一）", "health": True,
                 "body": "心理咨询师录制的10分钟呼吸放松指导，睡前听效果更好。",
                 "url": "https://content.revisit.example/postpartum/relax-1.mp3"},
                {"kind": "link", "title": "一对一心理咨询通道", "health": True,
                 "body": "如果情绪持续低落，可以预约心理咨询师一对一沟通，{clinic}为您保密。",
                 "url": "https://content.revisit.example/postpartum/consult"},
                {"kind": "audio", "title": "产后情绪放松练习（二）：应对夜醒", "health": True,
                 "body": "宝宝夜醒频繁时的自我安抚方法。",
                 "url": "https://content.revisit.example/postpartum/relax-2.mp3"},
            ],
        },
    },
    {
        "segment_id": "postpartum-knowledge",
        "condition": "postpartum",
        "name": "产后·求知型",
        "name_en": "Postpartum: knowledge-seeking",
        "description": "每周一节喂养与疫苗课程",
        "rule": _persona("knowledge_seeking"),
        "content_path": {
            "cadence_days": 7, "purpose": "service", "send_at": "10:00",
            "steps": [
                {"kind": "link", "title": "第1课：母乳喂养的正确姿势", "health": True,
                 "body": "图文讲解四种常用哺乳姿势和含乳要点。",
                 "url": "https://content.revisit.example/course/feeding-1"},
                {"kind": "link", "title": "第2课：新生儿疫苗接种时间表", "health": True,
                 "body": "出生到一岁的国家免疫规划疫苗及接种前后注意事项。",
                 "url": "https://content.revisit.example/course/vaccines-1"},
                {"kind": "link", "title": "第3课：辅食添加从何时开始", "health": True,
                 "body": "六个月前后的喂养过渡与过敏观察。",
                 "url": "https://content.revisit.example/course/feeding-2"},
                {"kind": "text", "title": "第4课：疫苗接种后的常见反应", "health": True,
                 "body": "发热、红肿的观察和处理，什么情况需要就医。"},
            ],
        },
    },
    {
        "segment_id": "postpartum-social",
        "condition": "postpartum",
        "name": "产后·社交型",
        "name_en": "Postpartum: social",
        "description": "妈妈群活动邀请",
        "rule": _persona("social"),
        "content_path": {
            "cadence_days": 14, "purpose": "marketing", "send_at": "10:00",
            "steps": [
                {"kind": "link", "title": "邀请您加入{clinic}新手妈妈群", "health": False,
                 "body": "和同月龄宝宝的妈妈们交流经验，群里每周有护士答疑。",
                 "url": "https://content.revisit.example/community/join"},
                {"kind": "link", "title": "周末亲子抚触活动报名", "health": False,
                 "body": "本月亲子抚触线下小组活动开放报名，名额有限。",
                 "url": "https://content.revisit.example/community/events"},
            ],
        },
    },
]
