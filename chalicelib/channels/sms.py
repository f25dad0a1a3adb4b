"""SMS through SNS Publish to the patient's decrypted phone. The number is never logged."""

from __future__ import annotations

from chalicelib.aws import client
from chalicelib.domain.delivery import Message, Outcome

name = "sms"
external = True


def e164(phone: str) -> str:
    """A stored (normalised) number in E.164: mainland numbers get +86."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "+86" + digits if len(digits) == 11 and digits.startswith("1") else "+" + digits


def template_of(message: Message) -> tuple[str, dict[str, str]] | None:
    """The clinic's approved SMS template for the message's kind and its variables filled from our
    fields (domain.templates), for a provider that sends by template; None: no template set, send
    the text."""
    setting = message.templates.get("sms")
    if not setting:
        return None
    from chalicelib.domain.templates import sms_params

    return setting["template_id"], sms_params(setting, {**message.values, "body": message.body})


def reachable(target, message: Message) -> bool:
    return bool(target.phone())


def send(target, message: Message) -> Outcome:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client("sns").publish(PhoneNumber=e164(target.phone()), Message=f"【{message.title}】{message.body}",
                              MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String",
                                                                         "StringValue": "Transactional"}})
    except ClientError as exc:
        return Outcome("failed", exc.response.get("Error", {}).get("Code", "sns_error"))
    except BotoCoreError:
        return Outcome("failed", "unreachable")
    return Outcome("sent")
