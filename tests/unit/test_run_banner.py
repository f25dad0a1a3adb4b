"""The runner's banner tells a newcomer how to point the mini-program at this stack."""

from __future__ import annotations

import argparse

from devstack.layout import Layout, write_private
from devstack.run import Stack


def test_banner_says_how_to_open_the_miniprogram_against_this_api(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("API_PORT", "18123")
    layout = Layout(tmp_path)
    layout.state.mkdir(parents=True, exist_ok=True)
    write_private(layout.demo_file, {"patient_logins": [
        {"code": "wx-dd0000", "clinic_id": "demo-dental", "patient_id": "p0", "note": "糖尿病"}]})
    args = argparse.Namespace(sweep_period=60, kpi_period=300, snapshot_period=300)
    Stack(args, layout=layout).banner([], 12.0)
    shown = capsys.readouterr().out
    assert "open miniprogram/ in WeChat DevTools" in shown
    assert "apiBaseUrl 'http://127.0.0.1:18123'" in shown
    assert "wx-dd0000" in shown
