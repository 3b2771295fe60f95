from conftest import login


def test_home_page_renders_for_a_manager(manager, account):
    response = login(manager).get("/")
    assert response.status_code == 200
    assert b"Welcome" in response.content
