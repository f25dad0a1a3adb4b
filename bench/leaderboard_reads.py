"""DynamoDB queries per read of the monthly star board (top 20), with 80 patients on it.

The board is write-sharded over LEADERBOARD_SHARDS partitions of gsi1; a top-N read queries
each shard for its own top N (newest score first) and merges them. A patient's read adds their
own rank: one Select=COUNT query per shard. Runs the app in process over moto, as write_calls.
"""

from __future__ import annotations

import json
import sys
from _world import CLINIC_ID, DynamoRecorder, create_clinic, figure, moto_account, register_patient

PATIENTS = 80
TOP = 20


def main() -> int:
    recorder = DynamoRecorder().install()
    problems: list[str] = []
    with moto_account():
        from chalice.test import Client

        from chalicelib.auth import Principal
        from chalicelib.domain import earning
        from chalicelib.domain.clock import clock, local_date
        from chalicelib.services import activity
        from chalicelib.store import leaderboard

        create_clinic()
        tokens = []
        for i in range(PATIENTS):
            token, pid = register_patient(openid=f"oboard-{i}", phone=f"1360000{i:04d}")
            tokens.append(token)
            principal = Principal("patient", CLINIC_ID, pid, patient_id=pid)
            for n in range(i % 4):  # 0-3 shares: scores of 0, 5, 10 and 15 points
                activity.share(principal, f"article-{i}-{n}")
        month = local_date(clock.now(), "Asia/Shanghai").strftime("%Y-%m")
        shards = earning.LEADERBOARD_SHARDS

        with recorder.recording() as calls:
            top = leaderboard.top(CLINIC_ID, month, TOP)
        queries = [c for c in calls if c.operation == "Query"]
        if len(top) != TOP or top[0]["score"] != 15:
            problems.append(f"the top {TOP} read answered {len(top)} rows, best {top[:1]}")
        figure("board-top20-queries", len(queries), f"<= {shards}", note=f"{shards} shards, {PATIENTS} patients")
        figure("board-top20-items-read", sum(c.items_read() for c in calls), note=f"at most {TOP} per shard")

        from app import app

        clock.advance(minutes=1)
        with Client(app) as client, recorder.recording() as calls:
            reply = client.http.get(f"/leaderboard?limit={TOP}", headers={"Authorization": f"Bearer {tokens[-1]}"})
        body = json.loads(reply.body)
        if reply.status_code != 200 or len(body.get("items", [])) != TOP or not body.get("me", {}).get("rank"):
            problems.append(f"the patient's board read answered {reply.status_code}: {str(body)[:200]}")
        queries = [c for c in calls if c.operation == "Query"]
        figure("board-patient-read-queries", len(queries),
               note=f"top {TOP} ({shards}) + own rank ({shards} counts), plus {len(calls) - len(queries)} GetItem")
    for problem in problems:
        print(f"board-reads-problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
