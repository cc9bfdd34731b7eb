"""`make test` promises the browser tests run: without chromium it installs it or stops, and pytest fails (never
skips) a browser test that has no browser -- a green suite must not hide unrun browser tests."""

import os
import shutil
import subprocess
import sys
import textwrap

from tests.conftest import ROOT


def test_browser_fixture_fails_without_chromium(tmp_path):
    (tmp_path / "test_needs_browser.py").write_text(textwrap.dedent("""
        from tests.conftest import browser  # noqa: F401  (the fixture under test)

        def test_uses_browser(browser):
            assert browser is not None
    """))
    env = {**os.environ, "CHROMIUM": str(tmp_path / "no-such-chromium"), "PYTHONPATH": ROOT}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                           str(tmp_path / "test_needs_browser.py")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # 1 = a test failed; a skip would exit 0
    assert "1 error" in out or "1 failed" in out, out
    assert "apt-get install -y chromium" in out


def test_make_stops_with_instructions_when_it_cannot_install_chromium(tmp_path):
    bin_dir = tmp_path / "bin"  # a PATH with `id` but no apt-get: the recipe must fail and say how to fix it
    bin_dir.mkdir()
    os.symlink(shutil.which("id") or "/usr/bin/id", bin_dir / "id")
    proc = subprocess.run([shutil.which("make") or "make", "-s", "browser-deps",
                           f"CHROMIUM={tmp_path / 'no-such-chromium'}"], cwd=ROOT,
                          env={"PATH": str(bin_dir), "HOME": str(tmp_path)}, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert "apt-get install -y chromium" in proc.stderr


def test_make_accepts_an_installed_chromium(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    proc = subprocess.run([shutil.which("make") or "make", "-s", "browser-deps", f"CHROMIUM={fake}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
