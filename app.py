"""Entry point. `streamlit run app.py` serves it as an ASGI app (st.App) so the live-snapshot routes live next to
the pages; each browser session then runs this same file as the page script, which only sets up navigation."""

import streamlit as st

if __name__ == "__main__":  # a session's script run (Streamlit executes the entry script as __main__)
    from pathlib import Path

    st.set_page_config(page_title="NN playground", page_icon="🧠", layout="wide")
    pages = [st.Page("pages/playground.py", title="Playground", icon=":material/hub:", default=True)]
    if (Path(__file__).parent / "pages" / "cnn.py").exists():
        pages.append(st.Page("pages/cnn.py", title="Images & CNNs", icon=":material/image:"))
    st.navigation(pages, position="top").run()
elif __name__ != "__mp_main__":  # imported by the ASGI server (never by a spawned worker re-running __main__)
    from ui.live import routes
    from ui.services import job_manager, warm_up

    job_manager()  # start the worker processes now, so they are warm when the first student presses Train
    warm_up()  # and import torch for the untrained previews in the background
    app = st.App(__file__, routes=routes())
