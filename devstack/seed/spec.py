"""What the demo clinics hold: the two clinics, how their patients are drawn (conditions,
behaviours, consent, names), the shares behind each scenario (S1-S9), the showcase patients and
the A/B experiments. Figures only; devstack/seed/planner.py turns them into plans.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.rules import CONDITIONS

DEFAULT_SEED = 20261122
CONSENT_VERSION = "v1"
RECORDED_BY = "his-import"
VISIT_SOURCE = "import"
HISTORY_DAYS = 540  # about 18 months
SILENT_DAYS = 180
LIVE_PATIENTS = 60  # per clinic, written through the services (their older history in bulk, below)
# A live patient's events before its first engagement event and before this many days ago are
# written in bulk (bulk.history_items with `until`); the services write the rest.
SERVICE_RECENT_DAYS = 42
CHALLENGE_LAUNCH_DAYS = 210  # the clinic launched its default challenges this many days ago
EXAM_FLAG_RATES = (("high_bmi", 0.45), ("high_bp", 0.3), ("high_glucose", 0.15), ("high_lipids", 0.25))
RECHECK_SHARE = 0.78  # S4: annual re-check rate of the health-check centre (vs about 45% in the industry)
REFERRED_SHARE = 0.35  # S9: of new patients, how many came with a friend's invite code
# S2: the health manager's weekly calls of the last four weeks, with outcomes in these shares
# (a call shortly before a visit is more often booked).
CALL_WEEKS = 4
CALL_OUTCOMES = (("reached", 0.57), ("booked", 0.15), ("declined", 0.23), ("wrong_number", 0.05))
STAFF_PLAN_SHARE = 0.4  # live diabetic or hypertensive patients who did not join get a plan from staff
JOINER_ON_TIME = 0.9  # after joining, the share of revisits within a week of the requested day
PACKAGE_SHARE = 0.7  # S8: postpartum patients who bought the maternity pack at their first visit
RENEWAL_SHARE = 0.68  # of the packs whose renewal window has closed, the share renewed
PACKAGE_PATIENTS = 1200  # packs are recorded (through the services) for postpartum patients among the first N
REDEEM_SHARE = 0.4  # patients whose balance allows a reward who redeem one

# -- what a clinic's patients look like ------------------------------------------------------------

DEPARTMENT_OF = {
    "eczema": "dermatology", "diabetes": "endocrinology", "postpartum": "obstetrics", "dental": "dentistry",
    "health_check": "health_check", "hypertension": "general",
}
# Days until the clinic asks the patient back, per condition (dental S3: six months; postpartum:
# the day-42 check; diabetes and hypertension: quarterly; health check: yearly; eczema: follow-up).
REVISIT_DAYS = {"dental": 180, "eczema": 30, "diabetes": 90, "postpartum": 42, "health_check": 365,
                "hypertension": 90}
# Days between visits of a patient who comes back on time (eczema flares come and go).
RETURN_DAYS = {"eczema": (30, 75)}
BIRTH_YEARS = {"postpartum": (1986, 2001), "diabetes": (1945, 1985), "hypertension": (1945, 1980),
               "health_check": (1958, 1999), "eczema": (1960, 2019), "dental": (1950, 2018)}
SECOND_CONDITION = {"diabetes": ("hypertension", "dental"), "hypertension": ("diabetes", "health_check"),
                    "health_check": ("hypertension", "dental"), "dental": ("health_check",),
                    "eczema": ("dental",), "postpartum": ("dental",)}
BEHAVIOURS = (("on_time", 0.42), ("late", 0.24), ("silent", 0.29), ("new", 0.05))
# S2: diabetic patients left to themselves keep about half their revisit dates (the article's 53%).
BEHAVIOURS_OF = {"diabetes": (("on_time", 0.12), ("late", 0.28), ("silent", 0.55), ("new", 0.05))}
PERSONA_WEIGHTS = (("anxious", 0.3), ("knowledge_seeking", 0.45), ("social", 0.25))
CONSENT_RATES = {"service": 0.95, "marketing": 0.35, "analytics": 0.7}
WECHAT_SHARE = 0.55

SURNAMES = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2), ("赵", 2.0),
    ("吴", 1.8), ("周", 1.7), ("徐", 1.4), ("孙", 1.4), ("马", 1.2), ("朱", 1.1), ("胡", 1.1), ("郭", 1.0),
    ("何", 1.0), ("林", 0.9), ("罗", 0.9), ("郑", 0.8), ("梁", 0.8), ("谢", 0.7), ("宋", 0.6), ("唐", 0.6),
    ("许", 0.6), ("韩", 0.5), ("冯", 0.5), ("邓", 0.5), ("曹", 0.5), ("彭", 0.5), ("曾", 0.5), ("肖", 0.4),
    ("田", 0.4), ("董", 0.4), ("袁", 0.4), ("潘", 0.4), ("蒋", 0.4), ("蔡", 0.4), ("余", 0.4), ("杜", 0.4),
    ("叶", 0.4), ("程", 0.4), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3), ("沈", 0.3),
    ("姚", 0.3), ("卢", 0.3), ("姜", 0.3), ("崔", 0.3), ("钟", 0.3), ("谭", 0.3), ("陆", 0.3), ("汪", 0.3),
    ("范", 0.3), ("金", 0.3), ("石", 0.2), ("廖", 0.2), ("贾", 0.2), ("夏", 0.2), ("韦", 0.2), ("方", 0.2),
    ("白", 0.2), ("邹", 0.2), ("孟", 0.2), ("熊", 0.2), ("秦", 0.2), ("邱", 0.2), ("江", 0.2), ("尹", 0.2),
    ("欧阳", 0.05), ("司马", 0.02),
)
GIVEN_F = tuple("芳娜敏静丽艳娟霞秀英华慧巧美婷雪琳晶颖玲桂兰凤洁梅琴云莉倩瑶欣怡佳悦宁蕾薇萍红燕")
GIVEN_M = tuple("伟强磊军洋勇杰涛明超刚平辉鹏斌宇浩凯健俊帆翔鑫波锋亮文博志国建东晨晓峰林海彬毅")
GIVEN_ANY = tuple("晨宇佳子安嘉若思一诗梓睿欣雨可依")
MOBILE_PREFIXES = tuple("130 131 132 133 134 135 136 137 138 139 150 151 152 155 156 157 158 159 166 172 "
                        "176 177 178 180 181 182 183 185 186 187 188 189 191 193 195 198".split())

SHANGHAI_DISTRICTS = ("浦东新区", "徐汇区", "静安区", "黄浦区", "长宁区", "普陀区", "虹口区", "杨浦区", "闵行区",
                      "宝山区", "嘉定区", "松江区", "青浦区", "奉贤区")
URUMQI_DISTRICTS = ("天山区", "沙依巴克区", "新市区", "水磨沟区", "头屯河区", "米东区")


@dataclass(frozen=True)
class ClinicSpec:
    clinic_id: str
    name: str
    tz: str
    code_prefix: str  # mini-program users of the demo log in with wx-<prefix><number>
    conditions: tuple[str, ...]
    condition_weights: tuple[tuple[str, float], ...]
    districts: tuple[str, ...]


DEMO_DENTAL = ClinicSpec(
    "demo-dental", "齿护口腔门诊部", "Asia/Shanghai", "dd", CONDITIONS,
    (("dental", 0.33), ("eczema", 0.2), ("diabetes", 0.15), ("health_check", 0.14), ("postpartum", 0.11),
     ("hypertension", 0.07)),
    SHANGHAI_DISTRICTS,
)
NORTH_DERM = ClinicSpec(
    "north-derm", "北疆皮肤病专科门诊", "Asia/Urumqi", "nd", ("eczema", "health_check"),
    (("eczema", 0.75), ("health_check", 0.25)), URUMQI_DISTRICTS,
)


def north_patients(patients: int) -> int:
    """A few dozen for the default demo, fewer for a small test stack."""
    return max(6, min(36, patients // 5))


# Patients the demo points at (their login codes are printed when the stack starts).
SHOWCASES = {
    "demo-dental": {
        0: {"condition": "diabetes", "second": "hypertension", "behaviour": "on_time", "checkin_days": 200,
            "checkin_rate": 0.97, "consents": {"service": True, "marketing": True, "analytics": True},
            "note": "糖尿病 · 血糖连续打卡 · 积分够兑换 (diabetes, glucose streak, enough points to redeem)"},
        1: {"condition": "eczema", "behaviour": "on_time", "remission_days_ago": 31,
            "consents": {"service": True, "marketing": True, "analytics": True},
            "note": "湿疹缓解第31天 · 复诊提醒 (eczema, day-30 reminder in the inbox)"},
        2: {"condition": "postpartum", "persona": "anxious", "behaviour": "on_time",
            "consents": {"service": True, "marketing": False, "analytics": True},
            "note": "产后 · 焦虑型 (postpartum, anxious persona)"},
        3: {"condition": "dental", "behaviour": "silent",
            "consents": {"service": True, "marketing": True, "analytics": False},
            "note": "沉默超过180天 (silent for over 180 days)"},
    },
    "north-derm": {
        0: {"condition": "eczema", "behaviour": "on_time", "remission_days_ago": 32,
            "consents": {"service": True, "marketing": False, "analytics": True},
            "note": "湿疹缓解第32天 · 乌鲁木齐时间 (eczema, Urumqi time)"},
    },
}


# -- S5: A/B experiments on the day-30 eczema reminder -----------------------------------------------------

# One that ran and stopped (send time), with exposures and conversions, so results have figures;
# one running now (wording), so the next reminders fall into its arms.
PAST_EXPERIMENT = {
    "experiment_id": "eczema-day30-send-time", "name": "湿疹30天提醒 · 上午或晚上发送",
    "target_kind": "recall_rule", "target_id": "eczema-remission-30",
    "arms": [{"arm_id": "morning"}, {"arm_id": "evening", "send_at": "19:30"}],
    "holdout_share": 0.1, "window_days": 14, "sample_size_per_arm": 100,
}
PAST_RUN_DAYS = (110, 55)  # it started this many days ago and stopped this many days ago
PAST_CONVERSION = {"holdout": 0.22, "morning": 0.29, "evening": 0.26}  # revisit within the window
PAST_EXPOSURES = 320
CURRENT_EXPERIMENT = {
    "experiment_id": "eczema-day30-wording", "name": "湿疹30天提醒 · 措辞",
    "target_kind": "recall_rule", "target_id": "eczema-remission-30",
    "arms": [{"arm_id": "green-channel"},
             {"arm_id": "relapse-season",
              "template": "{nickname}您好：不少湿疹患者在症状缓解后一个半月左右复发。{clinic}本周为您保留了复查名额，"
                          "早复查、早调整用药，可以少受一次罪。"}],
    "holdout_share": 0.1, "window_days": 14, "baseline_rate": 0.25, "min_uplift": 0.1,
}
EXPERIMENT_SEND_AT = "10:00"  # the eczema rule's own send time, for an arm that keeps it
