"""Earning limits per rule and period, and the monthly star-of-the-month board (S3)."""

from datetime import datetime, timezone

from tests.test_helpers import relogin


def share(api, token, ref):
    return api.post("/me/shares", {"share_ref": ref}, token=token)


def test_shares_earn_at_most_three_a_day_and_ten_a_week(api, new_patient, clock):
    clock.set(datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc))  # a Monday, 10:00 in Shanghai
    token, _ = new_patient(name="sharer")
    earned = [share(api, token, f"d1-{i}")[1]["points_awarded"] for i in range(4)]
    assert earned == [5, 5, 5, 0]
    status, over = share(api, token, "d1-x")
    assert status == 201 and over["limit_reached"] == "day" and over["points_awarded"] == 0
    for day in range(1, 4):  # Tuesday to Thursday: 3 + 3 + 1 more reach the weekly 10
        clock.advance(days=1)
        token = relogin(api, "sharer")
        results = [share(api, token, f"d{day + 1}-{i}")[1] for i in range(3)]
        if day < 3:
            assert [r["points_awarded"] for r in results] == [5, 5, 5]
    assert [r["points_awarded"] for r in results] == [5, 0, 0]
    assert results[1]["limit_reached"] == "week"
    points = api.get("/me/points", token=token)[1]
    assert points["balance"] == 50 and sum(e["points"] for e in points["entries"]) == 50
    clock.advance(days=4)  # next Monday: a new week
    token = relogin(api, "sharer")
    assert share(api, token, "w2-0")[1]["points_awarded"] == 5


def test_admin_sets_limits(api, new_patient, staff_token):
    from chalicelib.store import clinics

    clinics.set_earning_limits("demo-dental", {"share": {"day": 1}})
    token, _ = new_patient()
    assert [share(api, token, f"s{i}")[1]["points_awarded"] for i in range(2)] == [5, 0]


def test_monthly_board_ranks_points_earned_with_masked_names(api, new_patient, staff_token, clock):
    players = {}
    for i, (name, shares) in enumerate((("amy", 1), ("ben", 3), ("cat", 2))):
        token, pid = new_patient(name=name, phone=f"1380000100{i}", full_name=["王小美", "李大本", "赵小猫"][i])
        for n in range(shares):
            share(api, token, f"{name}-{n}")
        players[name] = (token, pid)
    api.post("/me/checkins", {"type": "steps", "value": 9000, "client_time": "2026-11-20T08:00:00+08:00"},
             token=players["amy"][0])
    status, board = api.get("/leaderboard", token=players["cat"][0])
    assert status == 200 and board["month"] == "2026-11"
    assert [(r["rank"], r["name_masked"], r["score"]) for r in board["items"]] == [
        (1, "李**", 15), (2, "赵**", 10), (3, "王**", 6)]
    assert board["me"] == {"score": 10, "visible": True, "rank": 2}
    assert set(board["items"][1]) == {"rank", "name_masked", "score", "me"}  # nothing clinical, no ids
    # ben hides: he leaves the board, the others move up, and his own rank is not given
    assert api.put("/me/leaderboard", {"visible": False}, token=players["ben"][0])[0] == 200
    board = api.get("/leaderboard", token=players["ben"][0])[1]
    assert [r["name_masked"] for r in board["items"]] == ["赵**", "王**"]
    assert board["me"] == {"score": 15, "visible": False, "rank": None}
    api.post("/me/checkins", {"type": "steps", "value": 9000, "client_time": "2026-11-20T08:00:00+08:00"},
             token=players["ben"][0])  # earning while hidden stays off the board
    assert "李**" not in str(api.get("/leaderboard", token=players["amy"][0])[1]["items"])
    api.put("/me/leaderboard", {"visible": True}, token=players["ben"][0])
    board = api.get("/leaderboard", token=staff_token())[1]
    assert board["items"][0] == {"rank": 1, "name_masked": "李**", "score": 16}
    assert "me" not in board
    # another clinic's board is its own
    assert api.get("/leaderboard", token=staff_token("other-clinic"))[1]["items"] == []
    status, err = api.get("/leaderboard?month=2027-01", token=staff_token())
    assert status == 400 and err["field"] == "month"


def test_month_boundary_is_the_clinic_month(api, new_patient, clock):
    clock.set(datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc))  # 23:30 on 30 Nov in Shanghai
    token, _ = new_patient(name="edge")
    share(api, token, "nov")
    clock.advance(hours=1)  # 00:30 on 1 Dec in Shanghai, still 30 Nov in UTC
    share(api, token, "dec")
    november = api.get("/leaderboard?month=2026-11", token=token)[1]
    december = api.get("/leaderboard", token=token)[1]
    assert december["month"] == "2026-12"
    assert november["me"]["score"] == 5 and december["me"]["score"] == 5


def test_on_time_revisit_counts_on_the_board(api, new_patient, staff_token):
    token, pid = new_patient(name="visitor1")
    staff = staff_token()
    api.post(f"/patients/{pid}/visits", {"visit_date": "2026-10-01", "department": "dermatology",
                                         "next_due_date": "2026-11-15"}, token=staff)
    api.post(f"/patients/{pid}/visits", {"visit_date": "2026-11-18", "department": "dermatology"}, token=staff)
    assert api.get("/leaderboard", token=token)[1]["me"]["score"] == 10
    # staff adjustments are not behaviour: they do not rank
    api.post(f"/patients/{pid}/points/adjustments", {"points": 500, "reason": "x"}, token=staff)
    assert api.get("/leaderboard", token=token)[1]["me"]["score"] == 10
