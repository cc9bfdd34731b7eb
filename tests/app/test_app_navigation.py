"""app.py's navigation: what its comment promises about a broken page is what Streamlit does."""

from __future__ import annotations

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_a_broken_page_shows_its_error_and_the_other_page_still_opens(tmp_path):
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "playground.py").write_text('import streamlit as st\nst.write("playground up")\n')
    (tmp_path / "pages" / "cnn.py").write_text('raise RuntimeError("this page is broken")\n')
    (tmp_path / "pages" / "labs").mkdir()  # st.Page needs every page file app.py lists to exist
    for other in (ROOT / "pages").glob("*.py"):  # every other page app.py lists (compare, course map, teacher)
        if not (tmp_path / "pages" / other.name).exists():
            (tmp_path / "pages" / other.name).write_text('import streamlit as st\nst.write("another page")\n')
    for lab in (ROOT / "pages" / "labs").glob("*.py"):
        (tmp_path / "pages" / "labs" / lab.name).write_text('import streamlit as st\nst.write("a lab")\n')
    at = AppTest.from_file(str(tmp_path / "app.py"), default_timeout=30).run()
    assert [m.value for m in at.markdown] == ["playground up"] and not at.exception
    at.switch_page("pages/cnn.py").run()
    # the page shows that it failed, but neither the message nor a traceback (client.showErrorDetails = "none":
    # details go to the server log only)
    assert len(at.exception) == 1 and "this page is broken" not in at.exception[0].message
    assert "redacted" in at.exception[0].message and not at.exception[0].stack_trace
    at.switch_page("pages/playground.py").run()
    assert [m.value for m in at.markdown] == ["playground up"] and not at.exception
