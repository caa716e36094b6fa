"""ChatEngine: one call per user turn (classify -> choose answer -> log), plus labeling and model switching.

Everything the CLI and the window do goes through here. Thread-safety: calls are serialised by
one lock, so the UI may call from a worker thread while the GUI thread stays free.

A model version is used only after it loads and answers a fixed Korean sentence with finite
probabilities (the smoke test): at start a broken active version falls back to the newest one that
passes, and says so in `model_warning`; `activate` and `rollback` refuse one that fails. A write that
finds another program holding the database's write lock waits (up to store.core.WRITE_WAIT_S) and
tells `on_wait` once; nothing is written until the lock is ours.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import answer_choice, clarify, import_export, inbox_ranking, paths, safety, teaching
from .bootstrap import build_starter_version
from .data.bundled import load_answers
from .doctor import Finding
from .errors import InputError, ModelError
from .import_export import ImportResult
from .nlu.inference import Classifier, set_chat_threads
from .predictions import HeadPrediction
from .progress import Progress
from .registry import Registry
from .settings import Settings, load_settings_checked, save_settings
from .store import Answer, Conversation, Message, ModelVersion, Store
from .store.core import check_text
from .titles import DEFAULT_TITLE, title_from

log = logging.getLogger(__name__)
INBOX_POOL = 500  # unlabeled messages the inbox re-ranks with the current model
NO_ANSWER_TEXT = "음… 뭐라고 답해야 할지 모르겠어요. 조금 더 이야기해 줄래요?"


@dataclass(frozen=True)
class Reply:
    user: Message
    bot: Message
    reason: str  # see answer_choice.Choice.reason
    crisis: bool
    predictions: dict[str, HeadPrediction] = field(default_factory=dict)  # what the model said, typed

    @property
    def fallback(self) -> bool:
        return self.reason in ("low_confidence", "no_answer")

    @property
    def conversation_id(self) -> int:
        return self.user.conversation_id

    @property
    def clarify_options(self) -> tuple[str, ...]:
        """The intents the bot asked about ("clarify"): answer with ChatEngine.answer_clarification."""
        return tuple(self.bot.details.get("clarify", {}).get("options", ()))


@dataclass(frozen=True)
class Clarified:
    user: Message  # now labeled with the chosen intent
    question: Message  # the clarifying question, marked answered
    bot: Message  # the answer for the chosen intent


@dataclass(frozen=True)
class _Turn:
    predictions: dict[str, HeadPrediction]
    choice: answer_choice.Choice
    crisis: bool


class ChatEngine:
    def __init__(
        self, home: Path, store: Store, registry: Registry, settings: Settings, classifier: Classifier | None
    ):
        self.home = home
        self.store = store
        self.registry = registry
        self.settings = settings
        self.classifier = classifier
        self.model_warning: str | None = None  # set when the active model failed to load and we fell back
        self.settings_warnings: list[str] = []  # settings.json fields that were bad and fell back to defaults
        self._rng = random.Random()
        self._lock = threading.RLock()

    @classmethod
    def open(
        cls,
        home: Path | None = None,
        *,
        device: str | None = None,
        on_progress: Progress | None = None,
        load_model: bool = True,
        should_stop: Callable[[], bool] | None = None,
    ) -> ChatEngine:
        """Open the data home. With `load_model`, load the active model (building the starter on a fresh
        home; `should_stop` cancels that build with TrainingCancelled, leaving the home without a model)."""
        home = Path(home) if home else paths.data_home()
        home.mkdir(parents=True, exist_ok=True)
        store = Store.open(paths.database_path(home))
        registry = Registry(store, paths.models_dir(home))
        registry.sweep_staging()
        if store.answer_count() == 0:
            store.seed_answers([_answer_dict(a) for a in load_answers()])
        settings, settings_warnings = load_settings_checked(paths.settings_path(home))
        if device:
            settings.device = device
        engine = cls(home, store, registry, settings, None)
        engine.settings_warnings = settings_warnings
        if load_model:
            try:
                engine.load_active_model(on_progress, should_stop)
            except BaseException:
                store.close()
                raise
        return engine

    # -- models --------------------------------------------------------------------------------
    def load_active_model(
        self, on_progress: Progress | None = None, should_stop: Callable[[], bool] | None = None
    ) -> None:
        """Load the active version; on a fresh home build the starter; on a broken one fall back to an older one."""
        with self._lock:
            active = self.registry.active()
            if active is None and not self.registry.versions():
                active = build_starter_version(
                    self.registry, on_progress, device="cpu", should_stop=should_stop
                )
            candidates = ([active] if active else []) + [
                v for v in self.registry.versions() if not active or v.id != active.id
            ]
            errors = []
            for version in candidates:
                try:
                    classifier = self._load(version)
                except ModelError as e:
                    errors.append(f"{version.id}: {_one_line(e)}")
                    log.error("model %s failed to load: %s", version.id, e)
                    continue
                if active is None or version.id != active.id:
                    self.registry.activate(version.id)  # the database says what is really in use
                    self.model_warning = _one_line(
                        f"모델 {active.id}을(를) 불러오지 못해 {version.id}(으)로 되돌렸어요: {errors[0]}"
                        if active is not None
                        else f"활성 모델이 없어서 불러올 수 있는 가장 최근 모델 {version.id}을(를) 켰어요."
                    )[:600]
                    log.warning("%s", self.model_warning)
                self.classifier = classifier
                return
            raise ModelError(_one_line("no model version could be loaded: " + "; ".join(errors))[:1000])

    def _load(self, version: ModelVersion) -> Classifier:
        """Load a version and smoke-test it; ModelError if it is broken in any way (a bad device setting
        stays an InputError: that is not the version's fault)."""
        try:
            # quantize_int8 only applies on the CPU (Classifier.load ignores it on a GPU)
            classifier = Classifier.load(
                Path(version.path), self.settings.device, version.id, quantize=self.settings.quantize_int8
            )
            if classifier.device.type == "cpu":
                set_chat_threads(classifier.model)  # before the smoke test: it is the first forward
            _smoke_test(classifier)
        except (ModelError, InputError):
            raise
        except Exception as e:  # noqa: BLE001 - any failure to load or predict means the version is broken
            raise ModelError(
                f"model {version.id} cannot be used ({type(e).__name__}: {_one_line(e)[:300]})"
            ) from e
        return classifier

    @property
    def model_version(self) -> str | None:
        return self.classifier.version if self.classifier else None

    @property
    def device(self) -> str:
        return str(self.classifier.device) if self.classifier else self.settings.device

    def activate(self, version_id: str) -> ModelVersion:
        """Switch to a version only after it loads and passes the smoke test; a broken one is refused
        with ModelError and the live model stays."""
        with self._lock:
            version = self.registry.get(version_id)
            try:
                classifier = self._load(version)  # load before switching
            except ModelError as e:
                raise ModelError(_one_line(f"model {version_id} was not activated: {e}")) from e
            self.registry.activate(version_id)
            self.classifier = classifier
            self.model_warning = None
            return self.registry.get(version_id)

    def rollback(self) -> ModelVersion:
        """The newest older version that loads and passes the smoke test (broken ones are skipped)."""
        with self._lock:
            loaded: dict[str, Classifier] = {}

            def check(version: ModelVersion) -> None:
                loaded[version.id] = self._load(version)

            version = self.registry.rollback(check)
            self.classifier = loaded[version.id]
            self.model_warning = None
            return version

    @property
    def on_wait(self) -> Callable[[str], None] | None:
        """Told once (a one-line Korean notice) when a write has to wait for another program's write
        lock; it runs on the thread doing the write (the CLI prints it; the window shows it)."""
        return self.store.on_wait

    @on_wait.setter
    def on_wait(self, callback: Callable[[str], None] | None) -> None:
        self.store.on_wait = callback

    def discard(self, version_id: str) -> None:
        with self._lock:
            self.registry.discard(version_id)

    # -- chat ----------------------------------------------------------------------------------
    def send(self, conversation_id: int | None, text: str) -> Reply:
        """One user turn, as the window and the terminal chat make it: with no conversation yet, one is
        created and named after this first message; a conversation still called "새 대화" gets that
        name from its first message too. Naming and logging the turn are one transaction; the model
        runs before it, so no write lock is held while it thinks."""
        self._check_message(text)
        with self._lock:
            turn = self._decide(conversation_id, text)
            with self.store.transaction():
                if conversation_id is None:
                    conversation_id = self.store.create_conversation(title_from(text)).id
                else:
                    conversation = self.store.conversation(conversation_id)
                    if conversation.title == DEFAULT_TITLE and conversation.message_count == 0:
                        self.store.rename_conversation(conversation_id, title_from(text))
                return self._log(conversation_id, text, turn)

    def reply(self, conversation_id: int, text: str) -> Reply:
        """One turn in an existing conversation: classify -> safety rule -> choose answer -> log."""
        self._check_message(text)
        with self._lock:
            turn = self._decide(conversation_id, text)
            return self._log(conversation_id, text, turn)

    def _decide(self, conversation_id: int | None, text: str) -> _Turn:
        """Everything about a turn that only reads: the prediction and the answer."""
        if conversation_id is not None:
            self.store.conversation(conversation_id)  # clear error before any work if it is gone
        if self.classifier is None:
            self.load_active_model()
        assert self.classifier is not None  # load_active_model raises when nothing loads
        crisis = safety.is_crisis(text)
        heads = self.classifier.predict(text)
        intent, emotion = heads.get("intent"), heads.get("emotion")
        choice = answer_choice.choose(
            self.store.answers(enabled_only=True),
            intent=intent.label if intent else None,
            emotion=emotion.label if emotion else None,
            intent_confidence=intent.confidence if intent else 0.0,
            intent_margin=intent.margin if intent else 0.0,
            threshold=self.settings.threshold,
            margin=self.settings.margin,
            rng=self._rng,
            previous_answer_id=self._previous_answer_id(conversation_id) if conversation_id else None,
            crisis=crisis,
            clarify_between=intent.top if intent and self._may_clarify(conversation_id) else (),
        )
        return _Turn(dict(heads), choice, crisis)

    def _may_clarify(self, conversation_id: int | None) -> bool:
        """The setting allows it, and the bot's last message was not a question still unanswered."""
        if not self.settings.clarify:
            return False
        if conversation_id is None:
            return True
        count = self.store.message_count(conversation_id)
        last = self.store.messages(conversation_id, offset=max(0, count - 1), limit=1)
        if last and last[0].role == "bot":
            asked = last[0].details.get("clarify")
            if asked and asked.get("chosen") is None:
                return False
        return True

    def _log(self, conversation_id: int, text: str, turn: _Turn) -> Reply:
        answer, details = turn.choice.answer, {}
        bot_text = answer.text if answer else NO_ANSWER_TEXT
        if turn.choice.reason == "clarify":
            displays = {lab: name for lab, name in self.store.label_sets().get("intent", [])}
            bot_text = clarify.question(turn.choice.options, displays)
            details = {"clarify": {"options": list(turn.choice.options), "chosen": None}}
        user, bot = self.store.log_turn(
            conversation_id,
            text,
            turn.predictions,
            self.model_version,
            bot_text,
            answer.id if answer else None,
            details,
        )
        return Reply(user, bot, turn.choice.reason, turn.crisis, turn.predictions)

    def answer_clarification(self, question_id: int, intent: str) -> Clarified:
        """The user picked `intent` for a clarifying question: label their message with it (a correction,
        source "user") and answer for that intent, in one transaction."""
        with self._lock, self.store.transaction():
            question = self.store.message(question_id)
            asked = question.details.get("clarify") if question.role == "bot" else None
            if not asked:
                raise InputError("this message is not a clarifying question")
            if asked.get("chosen") is not None:
                raise InputError("this question was already answered")
            if intent not in asked.get("options", []):
                raise InputError(
                    f"{intent!r} is not one of the choices ({', '.join(asked.get('options', []))})"
                )
            user = self.store.previous_message(question_id)
            if user is None or user.role != "user":
                raise InputError("the message this question was about is gone")
            user = self.store.set_label(user.id, "intent", intent, source="user")
            emotion = user.prediction("emotion")
            choice = answer_choice.choose(
                self.store.answers(enabled_only=True),
                intent=intent,
                emotion=emotion.label if emotion else None,
                intent_confidence=1.0,
                intent_margin=1.0,
                threshold=self.settings.threshold,
                margin=self.settings.margin,
                rng=self._rng,
                previous_answer_id=self._previous_answer_id(question.conversation_id),
            )
            answer = choice.answer
            bot = self.store.log_bot_message(
                question.conversation_id,
                answer.text if answer else NO_ANSWER_TEXT,
                answer.id if answer else None,
                {"after_clarify": question_id},
            )
            question = self.store.set_message_details(
                question_id, {**question.details, "clarify": {**asked, "chosen": intent}}
            )
            return Clarified(user, question, bot)

    @staticmethod
    def _check_message(text: object) -> None:
        if not isinstance(text, str) or not text.strip():
            raise InputError("메시지가 비어 있어요 (empty message): type something to send")
        check_text(text, "A message")  # before the model: its n-gram hashing cannot encode lone surrogates

    def _previous_answer_id(self, conversation_id: int) -> int | None:
        count = self.store.message_count(conversation_id)
        recent = self.store.messages(conversation_id, offset=max(0, count - 2), limit=2)
        bots = [m for m in recent if m.role == "bot"]
        return bots[-1].answer_id if bots else None

    # -- conversations ---------------------------------------------------------------------------
    def new_conversation(self, title: str = DEFAULT_TITLE) -> int:
        with self._lock:
            return self.store.create_conversation(title).id

    def conversations(self, search: str | None = None) -> list[Conversation]:
        """Newest activity first; `search` matches titles and message text (case-insensitive)."""
        return self.store.conversations(search)

    def conversation(self, conversation_id: int) -> Conversation:
        return self.store.conversation(conversation_id)

    def rename_conversation(self, conversation_id: int, title: str) -> Conversation:
        with self._lock:
            return self.store.rename_conversation(conversation_id, title)

    def delete_conversation(self, conversation_id: int) -> None:
        with self._lock:
            self.store.delete_conversation(conversation_id)

    def message_count(self, conversation_id: int) -> int:
        return self.store.message_count(conversation_id)

    def messages(self, conversation_id: int, offset: int = 0, limit: int = 200) -> list[Message]:
        """A page of one conversation, oldest first."""
        return self.store.messages(conversation_id, offset=offset, limit=limit)

    def newest_messages(self, conversation_id: int, limit: int) -> tuple[int, list[Message]]:
        """(offset of the first one, the last `limit` messages): the page a chat view opens on."""
        with self._lock:
            offset = max(0, self.store.message_count(conversation_id) - limit)
            return offset, self.store.messages(conversation_id, offset=offset, limit=limit)

    # -- answers (data: editing them never needs a retrain) ---------------------------------------
    def answers(self, enabled_only: bool = False) -> list[Answer]:
        return self.store.answers(enabled_only=enabled_only)

    def add_answer(
        self,
        text: str,
        *,
        intent: str | None,
        emotion: str | None = None,
        kind: str = "answer",
        weight: float = 1.0,
        enabled: bool = True,
    ) -> int:
        with self._lock, self.store.transaction():
            answer_id = self.store.add_answer(text, intent=intent, emotion=emotion, kind=kind, weight=weight)
            if not enabled:
                self.store.update_answer(answer_id, enabled=False)
            return answer_id

    def update_answer(self, answer_id: int, **changes: Any) -> Answer:
        """Change any of text, intent, emotion, weight, enabled."""
        with self._lock:
            return self.store.update_answer(answer_id, **changes)

    def delete_answer(self, answer_id: int) -> None:
        with self._lock:
            self.store.delete_answer(answer_id)

    # -- files -----------------------------------------------------------------------------------
    def import_file(self, path: Path) -> ImportResult:
        with self._lock:
            return import_export.import_file(path, self.store)

    def export_file(self, path: Path) -> tuple[int, int]:
        with self._lock:
            return import_export.export_file(path, self.store)

    def model_versions(self) -> list[ModelVersion]:
        return self.registry.versions()

    # -- labeling ------------------------------------------------------------------------------
    def label_sets(self) -> dict[str, list[tuple[str, str]]]:
        return self.store.label_sets()

    def inbox(self, limit: int = 100) -> list[Message]:
        """The user's messages nobody labeled yet, the ones most worth labeling first."""
        return [r.item for r in self.inbox_items(limit)]

    def inbox_items(self, limit: int = 100) -> list[inbox_ranking.Ranked[Message]]:
        """The inbox ranked by the current model: least certain first, near-duplicates spread out, each
        with the model's fresh predictions (its suggested labels)."""
        with self._lock:
            pool = self.store.unlabeled_messages(limit=INBOX_POOL)
            if not pool:
                return []
            if self.classifier is None:
                self.load_active_model()
            assert self.classifier is not None
            predictions = self.classifier.predict_many([m.text for m in pool])
            return inbox_ranking.rank(pool, [m.text for m in pool], predictions)[:limit]

    def inbox_outlook(self) -> teaching.Outlook:
        """What more labels would bring, from the last retrains ("이제 충분해요" when little)."""
        return teaching.inbox_outlook(self.registry)

    def doctor(self, should_stop: Callable[[], bool] | None = None) -> list[Finding]:
        """The label doctor over bundled data and the user's labels (seconds to a few minutes)."""
        return teaching.run_doctor(self.store, should_stop)

    def apply_doctor_fix(self, finding: Finding, action: str, new_label: str | None = None) -> None:
        with self._lock:
            teaching.apply_fix(self.store, finding, action, new_label)

    def label(self, message_id: int, head: str, value: str) -> Message:
        with self._lock:
            sets = self.store.label_sets()
            if head not in sets:
                raise InputError(f"unknown label head {head!r}; known: {', '.join(sets)}")
            if value not in {lab for lab, _ in sets[head]}:
                raise InputError(f"unknown {head} label {value!r}")
            if self.store.message(message_id).role != "user":
                raise InputError("only user messages can be labeled")
            return self.store.set_label(message_id, head, value, source="user")

    def confirm(self, message_id: int, head: str) -> Message:
        """Mark the model's prediction for this head as right."""
        with self._lock:
            message = self.store.message(message_id)
            predicted = message.prediction(head)
            if message.role != "user" or predicted is None:
                raise InputError("this message has no prediction to confirm")
            return self.store.set_label(message_id, head, predicted.label, source="confirmed")

    def clear_label(self, message_id: int, head: str) -> Message:
        """Take a head's label off a message again (the window's 되돌리기 after 맞아요 or a correction)."""
        with self._lock:
            return self.store.clear_label(message_id, head)

    def new_label_count(self) -> int:
        """Messages labeled since the active model's training started: what a retrain would add.
        A message counts once however many of its badges were set; a discarded run resets nothing."""
        with self._lock:
            active = self.registry.active()
            if active is None:
                return self.store.labeled_message_count(None)
            run = self.store.run_for_version(active.id)
            return self.store.labeled_message_count(run.started_at if run else active.created_at)

    # -- settings ------------------------------------------------------------------------------
    def save_settings(self, settings: Settings) -> None:
        with self._lock:
            reload = (settings.device, settings.quantize_int8) != (
                self.settings.device,
                self.settings.quantize_int8,
            )
            save_settings(paths.settings_path(self.home), settings)
            self.settings = settings
            if reload and self.classifier is not None:
                self.load_active_model()

    def close(self) -> None:
        with self._lock:
            self.store.close()


SMOKE_SENTENCE = "안녕하세요, 오늘 하루는 어땠어요?"


def _smoke_test(classifier: Classifier) -> None:
    """A version whose weights parse but hold garbage predicts NaN; catch it before any chat does."""
    from .nlu.inference import probabilities

    probs = probabilities(classifier.model, classifier.tokenizer, [SMOKE_SENTENCE], classifier.device)
    for head, p in probs.items():
        values = [float(x) for x in p.ravel()]
        if not values or not all(math.isfinite(x) for x in values) or abs(sum(values) - 1.0) > 1e-3:
            raise ModelError(
                f"model {classifier.version} gives no usable prediction for {head} (NaN or infinite "
                f"values): its weights are damaged; retrain or roll back"
            )


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _answer_dict(row) -> dict:
    return {
        "kind": row.kind,
        "intent": row.intent or None,
        "emotion": row.emotion or None,
        "text": row.text,
        "weight": row.weight,
    }
