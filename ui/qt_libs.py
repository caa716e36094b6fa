"""Before the window opens on Linux: are the system libraries Qt's xcb (X11) plugin needs installed?

Without them Qt aborts with "Could not load the Qt platform plugin xcb", and since Qt 6.5 it blames
libxcb-cursor0 even when another library is what is missing (on a fresh Debian, libxcb-icccm4 and
libxcb-keysyms1 as well). `ldd` on the plugin names exactly what the loader cannot find; we say it in
Korean with the apt-get line that fixes it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# soname -> Debian package, for everything the xcb plugin links that a minimal Debian may lack
# (found with `ldd` on PySide6 6.12's libqxcb.so and libQt6XcbQpa.so.6, packages by `dpkg -S`).
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
ALL_PACKAGES = sorted(set(PACKAGES.values()))
NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def apt_line(packages: list[str]) -> str:
    return "sudo apt-get install -y " + " ".join(packages)


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin, if this PySide6 has one."""
    import PySide6  # the package only: no Qt library is loaded by this

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames `ldd` could not find, each once, in the order it reported them."""
    return list(dict.fromkeys(NOT_FOUND.findall(ldd_output)))


def packages_for(sonames: list[str]) -> list[str]:
    """Debian packages providing `sonames` (a name we do not know is given as the library itself)."""
    return list(dict.fromkeys(PACKAGES.get(name, name) for name in sonames))


def run_ldd(library: Path) -> str:
    ldd = shutil.which("ldd")
    if ldd is None:
        return ""
    try:
        done = subprocess.run([ldd, str(library)], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout


def message(packages: list[str]) -> str:
    return (
        "창을 열 수 없어요: Qt가 화면(X11)을 쓰는 데 필요한 시스템 라이브러리가 없어요.\n"
        f"없는 것: {', '.join(packages)}\n"
        f"설치하려면: {apt_line(packages)}\n"
        "(처음 설치한 Debian/Ubuntu에서 필요한 것 전부: " + apt_line(ALL_PACKAGES) + ")"
    )


def xcb_will_be_used() -> bool:
    """True where Qt would pick its xcb plugin: Linux, X11 chosen or the default, a display to open."""
    if not sys.platform.startswith("linux"):
        return False
    chosen = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()
    if chosen:
        return chosen == "xcb"
    return bool(os.environ.get("DISPLAY")) and not os.environ.get("WAYLAND_DISPLAY")


def check() -> list[str]:
    """Missing Debian packages for the xcb plugin (empty: nothing missing, or xcb not in use)."""
    if not xcb_will_be_used():
        return []
    plugin = xcb_plugin()
    return packages_for(missing_libraries(run_ldd(plugin))) if plugin else []
