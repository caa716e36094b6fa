"""A fast first reply (issue 11 item 5): the real window shows the chat with the engine opened without its
model, the model loads on the engine's own thread, typing works meanwhile, and a message sent before the
model is in is answered (by its quick expert, or as soon as the model is in), never lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PySide6.QtCore import Qt

from kobert_chat import paths
from kobert_chat.store import Store
from tests.helpers import ROOT, SAFETY_TIMEOUT_S
from tests.helpers.ui import WAIT, type_korean

# The app's own start-up (ui.app._run's steps) in a fresh process, as a user starts it: torch is not
# imported yet, so the model really takes seconds to arrive. The first message is typed and sent
# (Enter) the moment the chat shows. The child prints what it saw, in order.
CHILD = r"""
import json, sys
from PySide6.QtCore import QTimer, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
app = QApplication(["kobert-chat"])
from ui import app as ui_app, theme
from ui.fonts import register_korean_font
from ui.main_window import MainWindow
ui_app._install_korean(app)
register_korean_font(app)
theme.apply_theme(app, "light")
win = MainWindow(device="cpu")
win.show()
seen = {"events": [], "torch_before_start": "torch" in sys.modules}
text = "안녕하세요, 오늘 처음 왔어요"

def ready():
    seen["events"].append("ready")
    seen["model_at_ready"] = win.model_is_loaded
    seen["page"] = win.pages.currentIndex()
    seen["composer_enabled"] = win.chat.composer.input.isEnabled()
    seen["status_at_ready"] = win.model_label.text()
    box = win.chat.composer.input
    box.setPlainText(text)
    QTest.keyClick(box, Qt.Key.Key_Return)
    seen["rows_after_send"] = win.chat.model.rowCount()  # the user's bubble shows at once

def replied(_cid):
    seen["events"].append("reply")
    bot = win.chat.model.message_at(1)
    seen["reply"] = bot.text
    seen["by_expert"] = bot.details.get("classifier") == "expert"
    finish()

def loaded():
    seen["events"].append("model")
    seen["status_after_model"] = win.model_label.text()
    finish()

def finish():
    if "reply" in seen and "model" in seen["events"]:
        QTimer.singleShot(300, lambda: (seen.__setitem__("final_status", win.model_label.text()), app.quit()))

win.ready.connect(ready)
win.chat.replied.connect(replied)
win.model_loaded.connect(loaded)
QTimer.singleShot(0, win.start)
QTimer.singleShot(600_000, app.quit)
app.exec()
win.close()
win.worker.wait(30_000)
print(json.dumps(seen, ensure_ascii=False))
"""


def test_the_real_app_shows_the_chat_first_and_answers_a_message_sent_before_the_model(
    model_home, tiny_model_dir
):
    from kobert_chat.quick_expert import QuickExpert

    has_expert = QuickExpert.load(tiny_model_dir) is not None
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SAFETY_TIMEOUT_S,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["torch_before_start"] is False
    # window first: the chat was shown and typing possible while the model was still loading
    assert seen["events"][0] == "ready" and seen["model_at_ready"] is False
    assert seen["page"] == 1 and seen["composer_enabled"] is True
    assert seen["status_at_ready"] == "모델을 불러오는 중…"
    assert seen["rows_after_send"] == 1
    # model later, and the message sent before it got its reply
    assert set(seen["events"]) == {"ready", "reply", "model"}
    assert seen["reply"].strip()
    assert seen["final_status"].startswith("대답하는 모델: 기본 모델")
    with Store.open(paths.database_path(model_home)) as store:
        conversation = store.conversations()[0]
        messages = store.messages(conversation.id)
    assert [(m.role, m.text) for m in messages][0] == ("user", "안녕하세요, 오늘 처음 왔어요")
    assert [m.role for m in messages] == ["user", "bot"] and messages[1].text == seen["reply"]
    assert messages[0].predictions  # classified (by the expert or the model), not lost
    assert (messages[1].details.get("classifier") == "expert") == seen["by_expert"]
    # sent the moment the chat showed, while torch was still importing: the model's quick expert
    # answered (a model without one makes the message wait for the model instead)
    assert seen["by_expert"] == has_expert
    if has_expert:
        assert seen["events"] == ["ready", "reply", "model"]


def test_in_process_the_window_loads_the_model_after_it_shows_and_typing_works_meanwhile(
    qtbot, qapp, model_home
):
    from ui import theme
    from ui.main_window import LOADING_STATUS, MainWindow

    theme.apply_theme(qapp, "light")
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.show()
    statuses = []
    win.ready.connect(lambda: statuses.append(win.model_label.text()))
    with qtbot.waitSignal(win.ready, timeout=WAIT):
        win.start()
    box = win.chat.composer.input
    assert box.isEnabled() and win.pages.currentIndex() == 1
    box.setFocus()
    type_korean(box, "반가워요")
    qtbot.keyClick(box, Qt.Key.Key_Return)  # sent at once, whether or not the model is in yet
    model = win.chat.model
    qtbot.waitUntil(lambda: model.rowCount() == 2 and model.message_at(0).id > 0, timeout=WAIT)
    assert model.message_at(1).role == "bot" and model.message_at(1).text.strip()
    qtbot.waitUntil(lambda: win.model_is_loaded, timeout=WAIT)
    qtbot.waitUntil(lambda: win.model_label.text().startswith("대답하는 모델:"), timeout=WAIT)
    # the status said "loading" when the chat showed, unless the model had beaten it there
    assert statuses and (statuses[0] == LOADING_STATUS or statuses[0].startswith("대답하는 모델:"))
    win.close()
    win.worker.wait()
    qtbot.waitUntil(lambda: not win.worker.busy(), timeout=WAIT)
