"""Person identity for quotas (issue 9, item 2): every tab of one browser is one person; no cookie -> address."""

from __future__ import annotations

import os

from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

from nnlib.jobs.identity import XSRF_COOKIE, person_key, xsrf_token


def test_all_tabs_of_a_browser_are_one_person() -> None:
    token = os.urandom(16)
    tab1 = generate_xsrf_token_string(token, 1_700_000_000)  # Streamlit re-masks the cookie on every page load
    tab2 = generate_xsrf_token_string(token, 1_700_000_000)
    assert tab1 != tab2 and xsrf_token(tab1) == xsrf_token(tab2) == token
    a = person_key({XSRF_COOKIE: tab1}, "10.0.0.7", "session-1")
    b = person_key({XSRF_COOKIE: tab2}, "10.0.0.7", "session-2")
    other = person_key({XSRF_COOKIE: generate_xsrf_token_string(os.urandom(16), 1)}, "10.0.0.7", "session-3")
    assert a == b != other and a.startswith("browser:") and token.hex() not in a


def test_without_a_cookie_the_address_then_the_session_names_the_person() -> None:
    assert person_key({}, "10.0.0.7", "s1") == person_key({}, "10.0.0.7", "s2") == "address:10.0.0.7"
    assert person_key({XSRF_COOKIE: "junk|zz"}, "10.0.0.8", "s1") == "address:10.0.0.8"
    assert person_key({}, None, "s1") == "session:s1" != person_key({}, None, "s2")
    for bad in ("", "2|zz|00|1", "2|00|0011|1", "1|00|00|1", "2|ab|cd"):
        assert xsrf_token(bad) is None
