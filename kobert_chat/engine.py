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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import answer_choice, clarify, import_export, inbox_ranking, paths, safety, speech_level, teaching
from .data.bundled import answers_fingerprint, load_answers
from .doctor import Finding
from .errors import InputError, ModelError, StoreError
from .import_export import ImportResult
from .linked_answers import CROSS_INTENT_MARGIN, LinkIndex
from .predictions import HeadPrediction
from .progress import Progress
from .quick_expert import QuickExpert
from .registry import Registry
from .reply_details import LinkMatch, details_for
from .settings import Settings, load_settings_checked, save_settings
from .store import Answer, AnswerLink, Conversation, Message, ModelVersion, Store
from .store.answers import DETECT
from .store.core import check_text
from .store.links import NewLink
from .titles import DEFAULT_TITLE, title_from

if TYPE_CHECKING:  # torch comes in only with the model (load_active_model), never on the window's start path
    from .nlu.inference import Classifier

log = logging.getLogger(__name__)
INBOX_POOL = 500  # unlabeled messages the inbox re-ranks with the current model
NO_ANSWER_TEXT = "음… 뭐라고 답해야 할지 모르겠어요. 조금 더 이야기해 줄래요?"
NO_ANSWER_TEXT_CASUAL = "음… 뭐라고 답해야 할지 모르겠어. 조금 더 얘기해 줄래?"
# Said when a crisis statement finds no enabled crisis answer (the user disabled or deleted them all):
# the hotline is never left out.
CRISIS_TEXT = (
    "많이 힘들었군요. 말해 줘서 고마워요. 저는 프로그램이라 곁에 있어 줄 수 없어요. 자살예방상담전화 "
    "109에 전화하면 24시간 언제든 사람이 직접 이야기를 들어 줘요. 위급하면 119에 바로 연락해 주세요."
)
LINK_CANDIDATES = 10  # nearest linked examples looked at per message
QUICK_WAIT_S = 30.0  # longest a turn waits for start_loading's expert before waiting for the full model
LEVEL_LOOKBACK = 20  # user messages looked back at for the level of a message that has none


@dataclass(frozen=True)
class Reply:
    user: Message
    bot: Message
    reason: str  # see answer_choice.Choice.reason
    crisis: bool
    predictions: dict[str, HeadPrediction] = field(default_factory=dict)  # what the model said, typed
    level: str | None = None  # the speech level the bot answered in ("polite" | "casual")
    user_level: str | None = None  # the level detected in the user's message (None: it has none)
    link: LinkMatch | None = None  # path "linked": the example the message was close to
    by_expert: bool = False  # classified by the model's TF-IDF expert alone (the full model was loading)

    @property
    def fallback(self) -> bool:
        return self.reason in ("low_confidence", "no_answer")

    @property
    def path(self) -> str:
        """linked | pool | clarify | fallback | crisis: which way the answer was found (the badges)."""
        return answer_choice.PATHS[self.reason]

    @property
    def answer_id(self) -> int | None:
        """The stored answer shown (None for a clarifying question): what "이 답변 그만" stops."""
        return self.bot.answer_id

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
class Preview:
    """What a message would get, without logging anything (`predict --json`)."""

    text: str
    predictions: dict[str, HeadPrediction]
    path: str  # linked | pool | clarify | fallback | crisis
    reason: str
    answer: str  # the reply text (the clarifying question for "clarify")
    answer_id: int | None
    level: str | None
    user_level: str | None
    link: LinkMatch | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "reason": self.reason,
            "answer": self.answer,
            "answer_id": self.answer_id,
            "level": self.level,
            "user_level": self.user_level,
            "link": None
            if self.link is None
            else {
                "example": self.link.example,
                "similarity": round(self.link.similarity, 4),
                "answer_id": self.link.answer_id,
                "source": self.link.source,
            },
        }


@dataclass(frozen=True)
class _Turn:
    predictions: dict[str, HeadPrediction]
    choice: answer_choice.Choice
    crisis: bool
    level: speech_level.Level | None = None  # the level answered in
    user_level: speech_level.Level | None = None  # the level of the user's message
    model_version: str | None = None  # the version that predicted
    by_expert: bool = False  # its TF-IDF expert alone predicted (the full model was still loading)


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
        self._links: tuple[int, LinkIndex] | None = None  # (links revision, index over them)
        self._on_progress: Progress | None = None  # for a model load the engine starts by itself
        # start_loading: its thread, set when it is done, what went wrong, the expert meanwhile
        self._loader: threading.Thread | None = None
        self._loaded = threading.Event()
        self._quick_tried = threading.Event()  # the loader has tried the expert (it may have none)
        self._load_error: BaseException | None = None
        self._quick: QuickExpert | None = None
        self._model_lock = threading.Lock()  # who sets self.classifier (a load, activate, a reload)

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
        home; `should_stop` cancels that build with TrainingCancelled, leaving the home without a model).

        Without it, opening never imports torch (tens of milliseconds): the window shows at once and
        calls load_active_model on its worker; a turn sent before that loads the model itself."""
        home = Path(home) if home else paths.data_home()
        home.mkdir(parents=True, exist_ok=True)
        store = Store.open(paths.database_path(home))
        try:
            registry = Registry(store, paths.models_dir(home))
            registry.sweep_staging()
            fingerprint = answers_fingerprint()
            if store.bundle_fingerprint() != fingerprint:  # a fresh home, or a newer bundle
                try:
                    store.sync_bundled_answers([_answer_dict(a) for a in load_answers()], fingerprint)
                except StoreError as e:  # another program holds the write lock: sync on the next open
                    log.warning("the bundled answers were not updated this time: %s", e)
        except BaseException:
            store.close()
            raise
        settings, settings_warnings = load_settings_checked(paths.settings_path(home))
        if device:
            settings.device = device
        engine = cls(home, store, registry, settings, None)
        engine.settings_warnings = settings_warnings
        engine._on_progress = on_progress
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
        """Load the active version; on a fresh home build the starter; on a broken one fall back to an older one.
        Then file linked examples whose intent an older model predicted under this one's prediction.
        While start_loading's thread is loading it, this waits for that load instead."""
        loader = self._loader
        if loader is not None and loader is not threading.current_thread() and loader.is_alive():
            self._loaded.wait()  # the loader never takes the engine lock, so holding it here is safe
            if self.classifier is not None:
                return
        with self._lock:
            self._load_now(on_progress, should_stop, background=False)

    def _load_now(
        self, on_progress: Progress | None, should_stop: Callable[[], bool] | None, *, background: bool
    ) -> None:
        """load_active_model's work. `background`: start_loading's thread, which holds no engine lock
        and leaves the model to whoever installed one meanwhile (activate, a reload)."""
        active = self.registry.active()
        if active is None and not self.registry.versions():
            from .bootstrap import build_starter_version  # torch: only when a model is really needed

            active = build_starter_version(
                self.registry, on_progress or self._on_progress, device="cpu", should_stop=should_stop
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
            if not self._install(classifier, only_if_none=background):
                return  # another model was installed while this one loaded: it stays
            if active is None or version.id != active.id:
                self.registry.activate(version.id)  # the database says what is really in use
                self.model_warning = _one_line(
                    f"모델 {active.id}을(를) 불러오지 못해 {version.id}(으)로 되돌렸어요: {errors[0]}"
                    if active is not None
                    else f"활성 모델이 없어서 불러올 수 있는 가장 최근 모델 {version.id}을(를) 켰어요."
                )[:600]
                log.warning("%s", self.model_warning)
            self._refile_links()
            self._link_index()  # built now, on the loading thread, not in the first reply
            return
        raise ModelError(_one_line("no model version could be loaded: " + "; ".join(errors))[:1000])

    def _install(self, classifier: Classifier, only_if_none: bool = False) -> bool:
        """Make `classifier` the one turns use (False: `only_if_none` and one is already in)."""
        with self._model_lock:
            if only_if_none and self.classifier is not None:
                return False
            self.classifier = classifier
            self._quick = None  # the full model answers from now on
            return True

    def start_loading(self, on_ready: Callable[[BaseException | None], None] | None = None) -> bool:
        """Load the model on a thread of the engine's own, so the window takes messages at once: first the
        active version's TF-IDF expert (numpy, a fraction of a second: `quick_ready`), then the full
        model (`model_ready`, seconds: torch). A turn sent meanwhile is answered by the expert (its
        bot message's details say "classifier": "expert"), or waits for the model if the version has
        no expert. `on_ready(error)` runs on that thread once the full model is in (error None) or
        could not be loaded: touch no widgets there (emit a Qt signal). Returns False, starting
        nothing, when the model is loaded or loading already, or when the home has no model yet (the
        starter build is load_active_model's, with progress)."""
        with self._lock:
            if self.classifier is not None or (self._loader is not None and self._loader.is_alive()):
                return False
            if self.needs_starter_build:
                return False
            self._loaded.clear()
            self._quick_tried.clear()
            self._load_error = None
            self._loader = threading.Thread(
                target=self._background_load, args=(on_ready,), name="kobert-chat model", daemon=True
            )
            self._loader.start()
            return True

    def _background_load(self, on_ready: Callable[[BaseException | None], None] | None) -> None:
        error: BaseException | None = None
        try:
            try:
                active = self.registry.active()
                if active is not None and self.classifier is None:
                    self._quick = QuickExpert.load(Path(active.path), active.id)
            finally:
                self._quick_tried.set()
            self._load_now(None, None, background=True)
        except BaseException as e:  # noqa: BLE001 - reported through on_ready and the next turn
            error = self._load_error = e
            log.error("the model did not load in the background: %s", e)
        finally:
            self._loaded.set()
        if on_ready is not None:
            on_ready(error)

    def wait_for_model(self, timeout: float | None = None) -> bool:
        """Wait for start_loading's load (at most `timeout` seconds); True when the model is in."""
        if self._loader is not None:
            self._loaded.wait(timeout)
        return self.classifier is not None

    @property
    def quick_ready(self) -> bool:
        """A turn can be answered now: by the full model, or by its TF-IDF expert while it loads."""
        return self.classifier is not None or self._quick is not None

    @property
    def model_ready(self) -> bool:
        """The full model is loaded (False: turns use the expert while it loads, or load it first)."""
        return self.classifier is not None

    @property
    def needs_starter_build(self) -> bool:
        """No model version exists yet: loading will build the starter first (about a minute)."""
        return self.classifier is None and not self.registry.versions()

    def _load(self, version: ModelVersion) -> Classifier:
        """Load a version and smoke-test it; ModelError if it is broken in any way (a bad device setting
        stays an InputError: that is not the version's fault)."""
        from .nlu.inference import Classifier, set_chat_threads  # imports torch

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
        """The version turns use (while start_loading loads it, the one whose expert answers)."""
        classifier = self.classifier or self._quick
        return classifier.version if classifier else None

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
            self._install(classifier)
            self.model_warning = None
            self._refile_links()
            return self.registry.get(version_id)

    def rollback(self) -> ModelVersion:
        """The newest older version that loads and passes the smoke test (broken ones are skipped)."""
        with self._lock:
            loaded: dict[str, Classifier] = {}

            def check(version: ModelVersion) -> None:
                loaded[version.id] = self._load(version)

            version = self.registry.rollback(check)
            self._install(loaded[version.id])
            self.model_warning = None
            self._refile_links()
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

    def preview(self, texts: Sequence[str]) -> list[Preview]:
        """What each text would get as a first message, without logging anything (`predict --json`)."""
        for text in texts:
            self._check_message(text)
        with self._lock:
            classifier = self._classifier()
            results = classifier.predict_many(list(texts))
            previews = []
            for text, heads in zip(texts, results, strict=True):
                turn = self._choose(None, text, dict(heads))
                previews.append(
                    Preview(
                        text,
                        turn.predictions,
                        turn.choice.path,
                        turn.choice.reason,
                        self._bot_text(turn),
                        turn.choice.answer.id if turn.choice.answer else None,
                        turn.level,
                        turn.user_level,
                        _link_match(turn.choice),
                    )
                )
            return previews

    def _classifier(self) -> Classifier:
        """The full model, loading it (or waiting for start_loading's load) if need be."""
        if self.classifier is None:
            self.load_active_model()
        assert self.classifier is not None  # load_active_model raises when nothing loads
        return self.classifier

    def _decide(self, conversation_id: int | None, text: str) -> _Turn:
        """Everything about a turn that only reads: the prediction and the answer. While start_loading
        is still loading the model, its TF-IDF expert predicts."""
        if conversation_id is not None:
            self.store.conversation(conversation_id)  # clear error before any work if it is gone
        classifier: Classifier | QuickExpert | None = self.classifier
        loader = self._loader
        if classifier is None and self._quick is None and loader is not None and loader.is_alive():
            # a message sent the moment the window shows: the expert is a fraction of a second away
            self._quick_tried.wait(QUICK_WAIT_S)
            classifier = self.classifier
        if classifier is None:
            classifier = self._quick if self._quick is not None else self._classifier()
        heads = classifier.predict(text)
        turn = self._choose(conversation_id, text, dict(heads))
        return replace(turn, model_version=classifier.version, by_expert=isinstance(classifier, QuickExpert))

    def _choose(self, conversation_id: int | None, text: str, heads: dict[str, HeadPrediction]) -> _Turn:
        crisis = safety.is_crisis(text)
        intent, emotion = heads.get("intent"), heads.get("emotion")
        level, user_level = self._wanted_level(conversation_id, text)
        pool = self.store.answers(enabled_only=True)
        uncertain = (
            intent is None
            or intent.confidence < self.settings.threshold
            or intent.margin < self.settings.margin
        )
        choice = answer_choice.choose(
            pool,
            intent=intent.label if intent else None,
            emotion=emotion.label if emotion else None,
            intent_confidence=intent.confidence if intent else 0.0,
            intent_margin=intent.margin if intent else 0.0,
            threshold=self.settings.threshold,
            margin=self.settings.margin,
            rng=self._rng,
            crisis=crisis,
            clarify_between=intent.top if intent and self._may_clarify(conversation_id) else (),
            level=level,
            recent=self._recent_answer_ids(conversation_id),
            linked=() if crisis else self._linked(text, intent, uncertain, pool),
        )
        return _Turn(heads, choice, crisis, level, user_level)

    def _wanted_level(
        self, conversation_id: int | None, text: str
    ) -> tuple[speech_level.Level, speech_level.Level | None]:
        """(the level to answer in, the level of `text`). Setting "follow": the message's level; for one
        without any (emoji, ㅋㅋ), the conversation's last user message that had one; else polite."""
        user_level = speech_level.detect(text)
        if self.settings.bot_level != "follow":
            return cast(speech_level.Level, self.settings.bot_level), user_level
        if user_level is not None:
            return user_level, user_level
        if conversation_id is not None:
            for message in self.store.recent_messages(conversation_id, LEVEL_LOOKBACK, role="user"):
                earlier = speech_level.detect(message.text)
                if earlier is not None:
                    return earlier, None
        return "polite", None

    def _recent_answer_ids(self, conversation_id: int | None) -> list[int]:
        """The answers of the conversation's last N bot messages (N: setting no_repeat_turns), newest first."""
        n = self.settings.no_repeat_turns
        if conversation_id is None or n <= 0:
            return []
        bots = self.store.recent_messages(conversation_id, n, role="bot")
        return [m.answer_id for m in bots if m.answer_id is not None]

    def _linked(
        self, text: str, intent: HeadPrediction | None, uncertain: bool, pool: Sequence[Answer]
    ) -> list[answer_choice.Linked]:
        """Linked answers whose example is close enough: the same text anywhere, at least link_threshold
        similar within the predicted intent (the top two when the model is unsure, since it may be
        either), or CROSS_INTENT_MARGIN more than that in any intent. Best first, one entry per
        answer; disabled answers never."""
        index = self._link_index()
        if not len(index):
            return []
        threshold = self.settings.link_threshold
        intents = [label for label, _ in intent.top[: 2 if uncertain else 1]] if intent else []
        within = [m for m in index.search(text, intents, LINK_CANDIDATES) if m.similarity >= threshold]
        anywhere = [
            m
            for m in index.search(text, None, LINK_CANDIDATES)
            if m.similarity >= threshold + CROSS_INTENT_MARGIN
        ]
        answers = {a.id: a for a in pool}
        found: list[answer_choice.Linked] = []
        seen: set[int] = set()
        for match in sorted(within + anywhere, key=lambda m: (-m.similarity, -m.link.id)):
            answer = answers.get(match.link.answer_id)
            if answer is None or answer.id in seen:
                continue
            seen.add(answer.id)
            found.append(answer_choice.Linked(answer, match.link, match.similarity))
        return found

    def _link_index(self) -> LinkIndex:
        """The similarity index over every linked example, rebuilt when the links changed."""
        revision = self.store.links_revision()
        if self._links is None or self._links[0] != revision:
            self._links = (revision, LinkIndex(self.store.links()))
        return self._links[1]

    def _refile_links(self) -> None:
        """Examples filed under a predicted intent follow the model in use: re-predict the ones another
        version filed (after a retrain the same question may land elsewhere). Never stops a load."""
        if self.classifier is None or self.classifier.version is None:
            return
        version = self.classifier.version
        try:
            stale = self.store.links_to_refile(version)
            if not stale:
                return
            predicted = self.classifier.predict_many([link.text for link in stale])
            intents = [(link.id, heads["intent"].label) for link, heads in zip(stale, predicted, strict=True)]
            moved = self.store.refile_links(intents, version)
            log.info(
                "refiled %d linked examples under model %s (%d changed intent)", len(stale), version, moved
            )
        except (StoreError, InputError, KeyError) as e:
            log.warning("linked examples were not refiled under model %s: %s", version, e)

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

    def _bot_text(self, turn: _Turn) -> str:
        answer = turn.choice.answer
        if turn.choice.reason == "clarify":
            displays = {lab: name for lab, name in self.store.label_sets().get("intent", [])}
            return clarify.question(turn.choice.options, displays, turn.level or "polite")
        if answer is not None:
            return answer.text
        if turn.crisis:
            return CRISIS_TEXT
        return NO_ANSWER_TEXT_CASUAL if turn.level == "casual" else NO_ANSWER_TEXT

    def _log(self, conversation_id: int, text: str, turn: _Turn) -> Reply:
        answer = turn.choice.answer
        details = details_for(turn.choice, turn.level, turn.user_level)
        if turn.by_expert:
            details["classifier"] = "expert"
        if turn.choice.reason == "clarify":
            details["clarify"] = {"options": list(turn.choice.options), "chosen": None}
        user, bot = self.store.log_turn(
            conversation_id,
            text,
            turn.predictions,
            turn.model_version or self.model_version,
            self._bot_text(turn),
            answer.id if answer else None,
            details,
        )
        return Reply(
            user,
            bot,
            turn.choice.reason,
            turn.crisis,
            turn.predictions,
            turn.level,
            turn.user_level,
            _link_match(turn.choice),
            turn.by_expert,
        )

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
            self.store.relabel_message_links(user.id, intent)
            emotion = user.prediction("emotion")
            level = (
                question.details.get("level") or self._wanted_level(question.conversation_id, user.text)[0]
            )
            choice = answer_choice.choose(
                self.store.answers(enabled_only=True),
                intent=intent,
                emotion=emotion.label if emotion else None,
                intent_confidence=1.0,
                intent_margin=1.0,
                threshold=self.settings.threshold,
                margin=self.settings.margin,
                rng=self._rng,
                level=level,
                recent=self._recent_answer_ids(question.conversation_id),
            )
            answer = choice.answer
            bot = self.store.log_bot_message(
                question.conversation_id,
                answer.text if answer else (NO_ANSWER_TEXT_CASUAL if level == "casual" else NO_ANSWER_TEXT),
                answer.id if answer else None,
                {
                    **details_for(choice, level, question.details.get("user_level")),
                    "after_clarify": question_id,
                },
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
    def answers(self, enabled_only: bool = False, origin: str | None = None) -> list[Answer]:
        """Every answer (or only the enabled ones; only one origin: "taught" lists the answers taught in
        the chat, "import" those of Q/A files)."""
        return self.store.answers(enabled_only=enabled_only, origin=origin)

    def add_answer(
        self,
        text: str,
        *,
        intent: str | None,
        emotion: str | None = None,
        kind: str = "answer",
        weight: float = 1.0,
        enabled: bool = True,
        level: str | None = DETECT,
    ) -> int:
        """`level`: "polite", "casual", None (no level: fits both) or DETECT (from the text)."""
        with self._lock, self.store.transaction():
            answer_id = self.store.add_answer(
                text, intent=intent, emotion=emotion, kind=kind, weight=weight, level=level
            )
            if not enabled:
                self.store.update_answer(answer_id, enabled=False)
            return answer_id

    def update_answer(self, answer_id: int, **changes: Any) -> Answer:
        """Change any of text, intent, emotion, weight, enabled, level ("polite" | "casual" | None |
        DETECT; new text without a level re-detects it unless it was set by hand), in_pool."""
        with self._lock:
            return self.store.update_answer(answer_id, **changes)

    def delete_answer(self, answer_id: int) -> None:
        """Its linked examples go with it."""
        with self._lock:
            self.store.delete_answer(answer_id)

    def answer(self, answer_id: int) -> Answer:
        return self.store.answer(answer_id)

    def answer_links(self, answer_id: int) -> list[AnswerLink]:
        """The example utterances tied to an answer (the questions of a Q/A file, the chat message an
        answer was taught for), oldest first."""
        self.store.answer(answer_id)  # a clear error for an answer that is gone
        return self.store.links(answer_id=answer_id)

    def teach_answer(self, user_message_id: int, text: str) -> Answer:
        """ "이렇게 답해 줘": store `text` as the answer to this user message, tied to it, so the same
        message (and ones close to it) gets it from the next turn on, without retraining. Filed under
        the message's intent and emotion as the user labeled them, else as predicted; the level is
        detected from `text`. Undo: delete_answer (or update_answer(enabled=False)) on the result."""
        with self._lock, self.store.transaction():
            message = self.store.message(user_message_id)
            if message.role != "user":
                raise InputError("answers are taught for your own messages (a bot message was given)")
            if safety.is_crisis(message.text):
                raise InputError(
                    "이 메시지에는 언제나 위기 상담 안내(109)로 답해요: a message about wanting to die always "
                    "gets the crisis line, so no other answer can be taught for it"
                )
            intent = message.labels.get("intent") or _predicted(message, "intent")
            if intent is None:
                raise InputError("this message has no intent (label it first)")
            emotion = message.labels.get("emotion") or _predicted(message, "emotion")
            answer_id = self.store.add_answer(
                text, intent=intent, emotion=emotion, level=DETECT, origin="taught", in_pool=False
            )
            by_label = "intent" in message.labels
            self.store.add_links(
                [
                    NewLink(
                        answer_id,
                        message.text,
                        intent,
                        "label" if by_label else "model",
                        "taught",
                        None if by_label else message.model_version,
                        message.id,
                    )
                ]
            )
            return self.store.answer(answer_id)

    def stop_answer(self, answer_id: int) -> Answer:
        """ "이 답변 그만": the answer is not given again (disabled; update_answer(enabled=True) undoes it)."""
        with self._lock:
            return self.store.update_answer(answer_id, enabled=False)

    def taught_for(self, bot_message_id: int) -> Message:
        """The user message a bot message answered (the one before it, or before the clarifying question
        it followed): what "이렇게 답해 줘" on that bubble teaches an answer for."""
        with self._lock:
            message = self.store.message(bot_message_id)
            if message.role != "bot":
                raise InputError("this is not a bot message")
            asked = message.details.get("after_clarify")
            before = self.store.previous_message(int(asked) if asked else bot_message_id)
            if before is None or before.role != "user":
                raise InputError("the message this reply answered is gone")
            return before

    # -- files -----------------------------------------------------------------------------------
    def import_file(self, path: Path) -> ImportResult:
        """Labeled utterances, answers, or question/answer pairs (see import_export). Pairs whose label
        names no intent are filed under the intent the model predicts (the model loads if needed)."""
        with self._lock:
            return import_export.import_file(path, self.store, self._guess_intents)

    def _guess_intents(self, texts: Sequence[str]) -> tuple[list[str], str | None]:
        classifier = self._classifier()
        return [heads["intent"].label for heads in classifier.predict_many(list(texts))], classifier.version

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
            with self.store.transaction():
                labeled = self.store.set_label(message_id, head, value, source="user")
                if head == "intent":  # answers taught for it follow the label
                    self.store.relabel_message_links(message_id, value)
                return labeled

    def confirm(self, message_id: int, head: str) -> Message:
        """Mark the model's prediction for this head as right."""
        with self._lock:
            message = self.store.message(message_id)
            predicted = message.prediction(head)
            if message.role != "user" or predicted is None:
                raise InputError("this message has no prediction to confirm")
            with self.store.transaction():
                labeled = self.store.set_label(message_id, head, predicted.label, source="confirmed")
                if head == "intent":
                    self.store.relabel_message_links(message_id, predicted.label)
                return labeled

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
        "level": row.level,
    }


def _predicted(message: Message, head: str) -> str | None:
    prediction = message.prediction(head)
    return prediction.label if prediction else None


def _link_match(choice: answer_choice.Choice) -> LinkMatch | None:
    if choice.linked is None:
        return None
    link = choice.linked.link
    return LinkMatch(link.id, link.answer_id, link.text, choice.linked.similarity, link.source)
