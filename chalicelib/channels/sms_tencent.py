"""SMS through Tencent Cloud SMS (tencentcloud-sdk-python-sms, API 2021-01-11), for mainland
numbers from the China regions, where SNS does not deliver SMS.

A mainland SMS carries an approved signature (签名, TENCENT_SMS_SIGN_NAME) and the text of an
approved template (模板) whose variables we fill: TENCENT_SMS_TEMPLATES maps each message kind to
`{"template_id": "...", "params": ["title", "body", <a data field> ...], "max": <characters>}`;
a kind without a template is not sent by SMS. The SDK is imported here only, when a message goes
out: it and its HTTP stack cost the API function nothing at import. The message's SessionContext
names the clinic, patient and job, so a delivery receipt (PullSmsSendStatus) finds its record.
"""

from __future__ import annotations

import json
from functools import lru_cache

from chalicelib.config import settings
from chalicelib.domain.delivery import Message, Outcome

DEFAULT_PARAM_MAX = 20  # characters per variable unless the template says otherwise
PULL_LIMIT = 100  # receipts per PullSmsSendStatus call (the API's own maximum)


@lru_cache(maxsize=4)
def _templates(raw: str) -> dict:
    try:
        table = json.loads(raw or "{}")
    except ValueError as exc:
        raise RuntimeError("TENCENT_SMS_TEMPLATES is not JSON") from exc
    return table if isinstance(table, dict) else {}


def template_for(kind: str) -> dict | None:
    """The approved template of a message kind, or None when the kind has none."""
    template = _templates(settings().tencent_sms_templates).get(kind or "recall")
    return template if isinstance(template, dict) and template.get("template_id") else None


def params(template: dict, message: Message) -> list[str]:
    """The template's variables from the message (title, body or a data field), each cut to the
    template's length limit, as the provider refuses longer values."""
    limit = int(template.get("max") or DEFAULT_PARAM_MAX)
    fields = {"title": message.title, "body": message.body, **{k: str(v) for k, v in message.data.items()}}
    values = []
    for name in template.get("params") or []:
        value = " ".join(str(fields.get(name, "")).split())
        values.append(value if len(value) <= limit else value[: limit - 1] + "…")
    return values


def _client():
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import sms_client

    conf = settings()
    endpoint = conf.tencent_sms_endpoint
    # a loopback endpoint is the local fake (devstack/fake_sms.py), which speaks plain HTTP
    scheme = "http" if endpoint.startswith(("127.0.0.1", "localhost")) else "https"
    profile = ClientProfile(httpProfile=HttpProfile(protocol=scheme, endpoint=endpoint, reqTimeout=10))
    return sms_client.SmsClient(credential.Credential(conf.tencent_sms_secret_id, conf.tencent_sms_secret_key),
                                conf.tencent_sms_region, profile)


def session_context(target) -> str:
    return json.dumps({"c": target.clinic_id, "p": target.patient_id, "j": target.message_ref},
                      separators=(",", ":"))


def send(target, message: Message) -> Outcome:
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.sms.v20210111 import models

    from chalicelib.channels.sms import e164

    template = template_for(target.message_kind)
    if template is None:
        return Outcome("failed", "no_sms_template")
    conf = settings()
    request = models.SendSmsRequest()
    request.PhoneNumberSet = [e164(target.phone())]
    request.SmsSdkAppId = conf.tencent_sms_app_id
    request.SignName = conf.tencent_sms_sign_name
    request.TemplateId = str(template["template_id"])
    request.TemplateParamSet = params(template, message)
    request.SessionContext = session_context(target)
    try:
        reply = _client().SendSms(request)
    except TencentCloudSDKException as exc:
        # the whole request refused: credentials, signature or template not approved, rate limits
        return Outcome("failed", str(exc.get_code() or "tencent_sms_error"))
    status = (reply.SendStatusSet or [None])[0]
    if status is None:
        return Outcome("failed", "tencent_sms_error")
    if status.Code != "Ok":
        # per number: a wrong or blocked number is refused for good, anything else failed this time
        refused = str(status.Code).startswith(("InvalidParameterValue.IncorrectPhoneNumber",
                                                "FailedOperation.PhoneNumberInBlacklist",
                                                "FailedOperation.PhoneNumberOnBlacklist"))
        return Outcome("refused" if refused else "failed", str(status.Code))
    return Outcome("sent", provider_id=status.SerialNo)


def pull_receipts() -> list[dict]:
    """Delivery receipts Tencent holds for us (each is handed out once), as
    {clinic_id, patient_id, job_id, serial, delivered, code, at}; receipts we cannot place are dropped."""
    from tencentcloud.sms.v20210111 import models

    request = models.PullSmsSendStatusRequest()
    request.SmsSdkAppId = settings().tencent_sms_app_id
    request.Limit = PULL_LIMIT
    reply = _client().PullSmsSendStatus(request)
    receipts = []
    for item in reply.PullSmsSendStatusSet or []:
        try:
            context = json.loads(item.SessionContext or "")
            clinic_id, patient_id, job_id = context["c"], context["p"], context["j"]
        except (ValueError, TypeError, KeyError):
            continue
        receipts.append({"clinic_id": clinic_id, "patient_id": patient_id, "job_id": job_id,
                         "serial": item.SerialNo, "delivered": item.ReportStatus == "SUCCESS",
                         "code": item.Description or item.ReportStatus, "at": item.UserReceiveTime})
    return receipts
