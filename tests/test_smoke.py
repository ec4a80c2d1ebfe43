def test_agency_dashboard_shows_shell_for_each_role(client_for, two_agencies):
    for role in ("admin", "manager", "agent", "privacy_officer"):
        response = client_for(two_agencies["a"], role).get("/")
        assert response.status_code == 200, role
        assert "Alpha Homes" in response.content.decode()
