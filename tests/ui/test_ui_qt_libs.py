"""The start-up check for the system libraries Qt's xcb plugin needs on Linux: found with the real ldd on
the real plugin, said in Korean with the apt-get line, before Qt could abort with a misleading message."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import ROOT
from ui import qt_libs

# what ldd printed for PySide6 6.12's plugin on a Debian 12 with libxcb-cursor0 but not the other two
LDD_FRESH_DEBIAN = """\
\tlinux-vdso.so.1 (0x00007ffd0c5f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f63)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f6359e00000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f635a3aa000)
"""

needs_linux_plugin = pytest.mark.skipif(
    not sys.platform.startswith("linux") or qt_libs.xcb_plugin() is None or shutil.which("ldd") is None,
    reason="the xcb plugin and ldd exist on Linux only",
)


def test_ldd_output_names_the_debian_packages_to_install():
    missing = qt_libs.missing_libraries(LDD_FRESH_DEBIAN)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]  # each once
    packages = qt_libs.packages_for(missing)
    assert packages == ["libxcb-icccm4", "libxcb-keysyms1"]
    text = qt_libs.message(packages)
    assert text.startswith("창을 열 수 없어요")
    assert "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1" in text
    for package in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0"):
        assert package in qt_libs.apt_line(qt_libs.ALL_PACKAGES)


def test_only_checked_where_qt_would_use_xcb(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    for value, expected in (("offscreen", False), ("wayland", False), ("xcb", True), ("xcb:foo=1", True)):
        monkeypatch.setenv("QT_QPA_PLATFORM", value)
        assert qt_libs.xcb_will_be_used() is expected, value
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert qt_libs.xcb_will_be_used()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert not qt_libs.xcb_will_be_used()


@needs_linux_plugin
def test_the_real_plugin_on_this_machine():
    report = qt_libs.run_ldd(qt_libs.xcb_plugin())
    assert "libxcb" in report  # ldd really read the plugin
    for soname in qt_libs.missing_libraries(report):  # whatever this machine lacks has a package name
        assert soname in qt_libs.PACKAGES


@needs_linux_plugin
def test_the_app_says_what_is_missing_instead_of_aborting(tmp_path):
    # The plugin copied away from the Qt libraries it links: ldd really cannot find one of them.
    lonely = tmp_path / "libqxcb.so"
    shutil.copy(qt_libs.xcb_plugin(), lonely)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from ui import app, qt_libs
        qt_libs.xcb_plugin = lambda: Path({str(lonely)!r})
        sys.exit(app.run_app())
        """
    )
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", KOBERT_CHAT_HOME=str(tmp_path / "home"))
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "창을 열 수 없어요" in done.stderr and "libQt6XcbQpa.so.6" in done.stderr
    assert "apt-get install -y" in done.stderr
    assert not (tmp_path / "home").exists()  # it stopped before touching the data folder
