"""Check a template written by `chalice package` + infra/chalice-merge.json before it is deployed.

The merge is a blind deep merge: if app.py renames the reminder handler, the merge silently
creates a half resource instead of patching the real one. This catches that, and the other
properties the deployment relies on, with a message that says what to change.

    python infra/check_sam.py OUTDIR/sam.json
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path


def _load_render():
    spec = importlib.util.spec_from_file_location(
        "revisit_infra_render", Path(__file__).resolve().parent / "render.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load_render()


def sqs_events(template: dict) -> dict[str, dict]:
    """`<function>.<event>` -> event, for every SQS event source of every function."""
    found = {}
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event_name, event in resource.get("Properties", {}).get("Events", {}).items():
            if event.get("Type") == "SQS":
                found[f"{name}.{event_name}"] = event
    return found


def problems(template: dict) -> list[str]:
    found = []
    resources = template.get("Resources", {})
    for name, resource in resources.items():
        if "Type" not in resource:
            found.append(
                f"resource {name} has no Type: infra/chalice-merge.json patches a resource that "
                "`chalice package` did not generate (was a handler renamed in app.py?)"
            )
    role = resources.get(render.CHALICE_ROLE, {})
    if role.get("Type") != "AWS::IAM::Role":
        found.append(
            f"no {render.CHALICE_ROLE}: keep Chalice's managed role (manage_iam_role true in "
            ".chalice/config.json) so the merge can set its policy"
        )
    events = sqs_events(template)
    handlers = (
        (render.REMINDER_FUNCTION, render.REMINDER_EVENT, "send_reminders",
         render.REMINDER_VISIBILITY_TIMEOUT_S, "REMINDER_HANDLER_TIMEOUT_S"),
        (render.IMPORT_FUNCTION, render.IMPORT_EVENT, "import_chunks",
         render.IMPORT_VISIBILITY_TIMEOUT_S, "IMPORT_HANDLER_TIMEOUT_S"),
        (render.CLINIC_JOB_FUNCTION, render.CLINIC_JOB_EVENT, "clinic_jobs",
         render.CLINIC_JOB_VISIBILITY_TIMEOUT_S, "CLINIC_JOB_HANDLER_TIMEOUT_S"),
    )
    for function_id, event_id, app_name, _, _ in handlers:
        wanted = f"{function_id}.{event_id}"
        if wanted not in events:
            found.append(
                f"no SQS event {wanted}: app.py must register `{app_name}` with @app.on_sqs_message"
            )
    streams = {f"{name}.{event_name}": event for name, resource in resources.items()
               if resource.get("Type") == "AWS::Serverless::Function"
               for event_name, event in resource.get("Properties", {}).get("Events", {}).items()
               if event.get("Type") == "DynamoDB"}
    wanted = f"{render.STREAM_FUNCTION}.{render.STREAM_EVENT}"
    if wanted not in streams:
        found.append(f"no DynamoDB stream event {wanted}: app.py must register `table_changes` with "
                     "@app.on_dynamodb_record")
    for name, event in streams.items():
        properties = event.get("Properties", {})
        if "ReportBatchItemFailures" not in properties.get("FunctionResponseTypes", []):
            found.append(f"stream event {name} does not report batch item failures")
        if "OnFailure" not in properties.get("DestinationConfig", {}):
            found.append(f"stream event {name} has no on-failure destination: a failing record would block its shard")
        patterns = [f.get("Pattern") for f in properties.get("FilterCriteria", {}).get("Filters", [])]
        if patterns != [json.dumps(render.load_schema().stream_filter_pattern(), separators=(",", ":"))]:
            found.append(f"stream event {name} does not filter the records as chalicelib/store/schema.py says: "
                         "the handler's own writes would invoke it again")
    for name, event in events.items():
        types = event.get("Properties", {}).get("FunctionResponseTypes", [])
        if "ReportBatchItemFailures" not in types:
            found.append(f"SQS event {name} does not report batch item failures")
    for function_id, _, _, visibility, setting in handlers:
        function = resources.get(function_id, {}).get("Properties", {})
        timeout = function.get("Timeout", 3)
        if isinstance(timeout, int) and 6 * timeout > visibility:
            found.append(
                f"{function_id} times out after {timeout} s but the queue's visibility "
                f"timeout is {visibility} s: raise "
                f"{setting} in infra/render.py and redeploy the resources stack"
            )
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    template = json.loads(Path(argv[0]).read_text())
    found = problems(template)
    for problem in found:
        print(f"{argv[0]}: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
