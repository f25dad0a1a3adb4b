def test_health(api):
    status, data = api.get("/health")
    assert status == 200 and data == {"ok": True}


def test_register_and_me(api, new_patient):
    token, pid = new_patient()
    status, data = api.get("/me", token=token)
    assert status == 200, data
    assert data["patient"]["name"] == "张小红"
