"""The local stack's progress lines: a new step is said at once, a long step again every few seconds."""

from __future__ import annotations

from devstack.progress import Progress
from devstack.seed.offline import Reporter


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_new_step_is_said_at_once_and_a_long_one_again_every_few_seconds():
    clock, said = FakeClock(), []
    progress = Progress(out=said.append, every=4.0, clock=clock)
    progress.update("seeding demo-dental", 0, 3000, "patients")
    assert said == ["[  0.0s] seeding demo-dental: 0/3000 patients"]
    clock.now += 1
    progress.update("seeding demo-dental", 250, 3000, "patients")  # same step, too soon: quiet
    progress.tick()
    assert len(said) == 1
    clock.now += 3.5
    progress.tick()  # 4.5 s since the last line: the current count again
    assert said[-1] == "[  4.5s] seeding demo-dental: 250/3000 patients"
    clock.now += 0.5
    progress.update("training the risk model")  # a new step: at once, without counts
    assert said[-1] == "[  5.0s] training the risk model"
    clock.now += 3.9
    progress.tick()
    assert len(said) == 3
    progress.say("demo built")
    clock.now += 3.9
    progress.tick()  # a line of its own counts too
    assert said[-1] == "[  8.9s] demo built" and len(said) == 4


def test_the_ticker_thread_speaks_when_nothing_else_does():
    import time

    said = []
    progress = Progress(out=said.append, every=0.3).start()
    try:
        progress.update("loading the saved data into moto")
        time.sleep(1.2)
    finally:
        progress.stop()
    assert len(said) >= 3 and all(line.endswith("loading the saved data into moto") for line in said)


def test_the_demo_builder_reports_each_step_and_at_most_twice_a_second_within_one(capsys):
    import io

    stream = io.StringIO()
    report = Reporter(stream)
    report("seeding demo-dental", 0, 100, "patients")
    for done in range(1, 100):
        report("seeding demo-dental", done, 100, "patients")  # within half a second: quiet
    report("seeding demo-dental", 100, 100, "patients")  # the last count always goes
    report("first sweep: reminders due now")
    lines = stream.getvalue().splitlines()
    assert lines == ["progress\tseeding demo-dental\t0\t100\tpatients",
                     "progress\tseeding demo-dental\t100\t100\tpatients",
                     "progress\tfirst sweep: reminders due now\t\t\t"]
