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
