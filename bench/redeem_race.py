"""50 patients redeem the last 5 units of a reward at the same moment: exactly 5 may succeed.

Sixteen threads run the real redemption service against in-process moto. moto is not
thread-safe, so each DynamoDB request is applied under a lock, as DynamoDB applies each request
atomically; the threads still race between their reads and their conditional writes.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from _world import CLINIC_ID, create_clinic, figure, moto_account, register_patient


def main() -> None:
    with moto_account():
        from moto.core.botocore_stubber import BotocoreStubber

        from chalicelib.auth import Principal
        from chalicelib.errors import AppError
        from chalicelib.services import activity
        from chalicelib.store import clinics, patients, points

        lock = threading.Lock()
        original = BotocoreStubber.__call__

        def one_at_a_time(self, *args, **kwargs):
            with lock:
                return original(self, *args, **kwargs)

        BotocoreStubber.__call__ = one_at_a_time
        create_clinic()
        clinics.put_reward(CLINIC_ID, "last-five", "涂氟", 100, stock=5)
        principals = []
        for i in range(50):
            _, pid = register_patient(openid=f"orace-{i}", phone=f"1370000{i:04d}")
            points.credit(patients.get(CLINIC_ID, pid), entry_id="grant:race", points=100, reason="manual",
                          at="2026-11-20T02:00:00Z")
            principals.append(Principal("patient", CLINIC_ID, pid, patient_id=pid, roles=("patient",)))

        def attempt(principal):
            try:
                activity.redeem(principal, "last-five")
                return "ok"
            except AppError as err:
                return err.code

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            outcomes = list(pool.map(attempt, principals))
        seconds = time.perf_counter() - started
        stock_left = clinics.get_reward(CLINIC_ID, "last-five").stock
        debited = sum(1 for p in principals if patients.get(CLINIC_ID, p.patient_id).balance == 0)
        figure("redeem-race-succeeded", outcomes.count("ok"), "5 of 50 with stock 5")
        figure("redeem-race-debited", debited, "5", "patients whose balance went down")
        figure("redeem-race-stock-left", int(stock_left), "0")
        figure("redeem-race-refused", len(outcomes) - outcomes.count("ok"), None,
               ", ".join(f"{code} {outcomes.count(code)}" for code in sorted(set(outcomes)) if code != "ok"))
        figure("redeem-race-seconds", round(seconds, 2))
        if outcomes.count("ok") != 5 or debited != 5 or stock_left != 0:
            raise SystemExit("the race broke the stock")


if __name__ == "__main__":
    main()
