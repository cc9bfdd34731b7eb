"""Entry point. `streamlit run app.py` serves it as an ASGI app (st.App) so the live-snapshot routes live next to
the pages; each browser session then runs this same file as the page script, which only sets up navigation."""

import streamlit as st

if __name__ == "__main__":  # a session's script run
    st.set_page_config(page_title="NN playground", page_icon="🧠", layout="wide")
    # st.navigation only registers the page files; each runs later, in its own script run, where Streamlit shows a
    # broken page's error inside that page while this navigation stays up. On top: a sidebar took 300 of 1024 px.
    pages = [st.Page("pages/playground.py", title="Playground", icon=":material/scatter_plot:", default=True),
             st.Page("pages/cnn.py", title="Images & CNNs", icon=":material/image:"),
             st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
             st.Page("pages/course_map.py", title="Course map", icon=":material/map:", url_path="course-map"),
             st.Page("pages/teacher.py", title="Teacher", icon=":material/school:", url_path="teacher")]
    from ui.lab_menu import LABS

    labs = [st.Page(f"pages/labs/{name}.py", title=title, icon=icon, url_path=f"lab-{name}")
            for name, title, icon in LABS]
    # top navigation: the two main pages as links, the labs in one drop-down (sections collapse on top)
    st.navigation({"": pages, "Labs": labs}, position="top").run()
    from ui.page_aids import page_aids

    page_aids()  # after the page: names the number inputs' -/+ buttons on every page (ui/page_aids.py)
else:  # imported by the ASGI server
    try:  # pages/ holds st.Page files, not v1 auto-pages: without this, a session that opens a deep link (/cnn) on a
        # fresh server runs the page file alone, with the v1 sidebar, until some session has run st.navigation
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
    except ImportError:  # a Streamlit without this switch: only that first-deep-link quirk remains
        pass
    from ui.labs.group_runs import register_lab_patchers
    from ui.live import routes
    from ui.services import job_manager

    register_lab_patchers()  # the labs' chart updaters, before the live route answers its first poll

    job_manager()  # start the worker processes now, so they are warm when the first student presses Train
    from ui.classroom import start_classroom

    start_classroom()  # open + migrate the class database, apply the retention rule, start the run recorder
    from ui.playground_views import warm_up

    warm_up()  # and import torch for the untrained preview, which the first visitor's charts wait for
    app = st.App(__file__, routes=routes())
