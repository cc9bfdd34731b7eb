"""Who a browser session belongs to, so job quotas and the fair queue count people rather than tabs.

Streamlit 1.67 exposes, per session, `st.context.cookies`, `st.context.headers` and `st.context.ip_address`. The
app's server already sets one cookie on every browser: `_streamlit_xsrf` (XSRF protection is on by default and
must stay on for a class server). Its masked value changes with every page load, but the token underneath is
per browser and shared by all its tabs, so a hash of that token names the person. Without the cookie (curl, XSRF
off) the client address is used, so scripted sessions from one machine count as one person; on localhost (no
address) each session is its own person.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Mapping

XSRF_COOKIE = "_streamlit_xsrf"


def xsrf_token(cookie_value: str) -> bytes | None:
    """The browser's token inside Streamlit's masked XSRF cookie ("2|mask|masked|timestamp"); None if malformed."""
    parts = cookie_value.strip("\"'").split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = binascii.a2b_hex(parts[1]), binascii.a2b_hex(parts[2])
    except (binascii.Error, ValueError):
        return None
    if not mask or len(masked) < 8:
        return None
    return bytes(m ^ mask[i % len(mask)] for i, m in enumerate(masked))


def person_key(cookies: Mapping[str, str], ip_address: str | None, session_id: str) -> str:
    """A stable, non-secret name for the person behind a session: browser cookie, else address, else session."""
    token = xsrf_token(cookies.get(XSRF_COOKIE, "") or "")
    if token:
        return "browser:" + hashlib.sha256(token).hexdigest()[:24]  # the token itself is a secret: keep a hash
    if ip_address:
        return "address:" + ip_address
    return "session:" + session_id
