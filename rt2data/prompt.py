"""Prompts and targets: RT-2's VQA-style action prompt, instruction normalization, chain-of-thought targets.

Default action template (id ``"rt2-action-v1"``, from the paper):
``Q: what action should the robot take to {instruction}? A:``. Templates carry an id recorded in every
example (``Example.template_id``), so outputs say which wording produced them.

Instruction normalization (``normalize_instruction``), chosen to match RT-2's prompts, whose instructions
read in lower case inside the question ("... take to pick coke can? A:"):

1. bytes / numpy byte codes are decoded as UTF-8; text is cut at the first NUL (zero padding, as in
   language_table's int32 code arrays); Unicode is NFC-normalized;
2. whitespace runs (spaces, tabs, newlines) collapse to one space; leading/trailing whitespace is stripped;
3. trailing sentence punctuation (``. ! ? , ; :`` and whitespace) is stripped, since the template adds ``?``;
4. the first letter is lower-cased unless the first word looks like an acronym (its second character is also
   upper case: "UR5", "TV"); the rest keeps its case, so names and acronyms survive ("pick the RXBAR").
5. an empty result is a ``PromptError`` unless ``empty="keep"`` (returns "") or ``empty="placeholder"``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

from rt2data.errors import PromptError

__all__ = [
    "PromptTemplate",
    "DEFAULT_ACTION_TEMPLATE",
    "TEMPLATES",
    "get_template",
    "register_template",
    "normalize_instruction",
    "action_prompt",
    "action_target",
    "split_target",
    "EMPTY_POLICIES",
    "DEFAULT_PLACEHOLDER",
]

TEMPLATE_KINDS = ("action", "caption", "vqa")
EMPTY_POLICIES = ("error", "keep", "placeholder")
DEFAULT_PLACEHOLDER = "complete the task"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRAILING_PUNCT = ".!?,;:"
_PLAN_PREFIX, _ACTION_MARK = "Plan: ", ". Action: "


def _placeholders(template_id: str, text: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise PromptError(f"template {template_id!r}: malformed braces in {text!r}: {exc}; write literal braces as {{{{ }}}}") from exc
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not _FIELD_RE.match(name) or spec or conversion:
            raise PromptError(
                f"template {template_id!r}: placeholder {{{name}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} is not allowed; use plain named fields such as {{instruction}}"
            )
        names.append(name)
    return names


@dataclass(frozen=True)
class PromptTemplate:
    """A prompt with named ``{field}`` placeholders and an id recorded in outputs.

    Attributes:
        id: short stable id (``[A-Za-z0-9][A-Za-z0-9_.-]*``), e.g. ``"rt2-action-v1"``.
        text: the template; literal braces are written ``{{`` and ``}}``.
        kind: ``"action"`` (exactly one placeholder, ``{instruction}``, used once), ``"caption"`` or ``"vqa"``
            (any named placeholders).
    """

    id: str
    text: str
    kind: str = "action"

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID_RE.match(self.id):
            raise PromptError(f"template id {self.id!r} is invalid: use 1-100 characters of [A-Za-z0-9_.-]")
        if self.kind not in TEMPLATE_KINDS:
            raise PromptError(f"template {self.id!r}: kind {self.kind!r} is not one of {list(TEMPLATE_KINDS)}")
        if not isinstance(self.text, str) or not self.text.strip():
            raise PromptError(f"template {self.id!r}: text must be a non-empty string")
        names = _placeholders(self.id, self.text)
        if self.kind == "action" and names != ["instruction"]:
            raise PromptError(
                f"template {self.id!r}: an action template needs exactly one placeholder {{instruction}}, "
                f"found {['{' + n + '}' for n in names]}"
            )

    @property
    def fields(self) -> tuple[str, ...]:
        """The placeholder names, in order of first appearance."""
        return tuple(dict.fromkeys(_placeholders(self.id, self.text)))

    def render(self, **fields: str) -> str:
        """Fill every placeholder; missing or unexpected fields and non-string values are errors."""
        expected = set(self.fields)
        missing, extra = expected - set(fields), set(fields) - expected
        if missing or extra:
            raise PromptError(
                f"template {self.id!r} takes fields {sorted(expected)}; missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        bad = {k: v for k, v in fields.items() if not isinstance(v, str)}
        if bad:
            raise PromptError(f"template {self.id!r}: field values must be strings, got {bad!r}")
        return self.text.format(**fields)


DEFAULT_ACTION_TEMPLATE = PromptTemplate("rt2-action-v1", "Q: what action should the robot take to {instruction}? A:")
TEMPLATES: dict[str, PromptTemplate] = {}


def register_template(template: PromptTemplate) -> PromptTemplate:
    """Add a template to the registry; an id already registered with a different text is an error."""
    known = TEMPLATES.get(template.id)
    if known is not None and known != template:
        raise PromptError(f"template id {template.id!r} is already registered with text {known.text!r}")
    TEMPLATES[template.id] = template
    return template


for _template in (
    DEFAULT_ACTION_TEMPLATE,
    PromptTemplate("rt2-vqa-v1", "Q: {question} A:", "vqa"),
    PromptTemplate("rt2-caption-v1", "Q: what is in the image? A:", "caption"),
):
    register_template(_template)


def get_template(template_id: str) -> PromptTemplate:
    """The registered template ``template_id``."""
    try:
        return TEMPLATES[template_id]
    except KeyError:
        raise PromptError(f"unknown prompt template {template_id!r}; known: {sorted(TEMPLATES)}") from None


def _to_text(value: Any) -> str:
    """str, bytes, numpy bytes/str scalars, or an integer array of UTF-8 byte codes -> str (cut at first NUL)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu":
            codes = value.reshape(-1)
            if codes.size and (codes.min() < 0 or codes.max() > 255):
                raise PromptError(f"instruction byte codes must be in 0..255, got min {codes.min()} max {codes.max()}")
            value = codes.astype(np.uint8).tobytes()
        elif value.ndim == 0 or value.size == 1:
            value = value.reshape(-1)[0]
        else:
            raise PromptError(f"instruction array must be UTF-8 byte codes or a single string, got {value.dtype} {value.shape}")
    if isinstance(value, (bytes, bytearray, np.bytes_)):
        raw = bytes(value).split(b"\x00", 1)[0]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PromptError(f"instruction is not valid UTF-8: {raw[:60]!r}: {exc}") from exc
    if isinstance(value, str):
        return value.split("\x00", 1)[0]
    raise PromptError(f"instruction must be text, bytes or byte codes, got {type(value).__name__}: {value!r}")


def _clean(text: str) -> str:
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text.rstrip(_TRAILING_PUNCT + " ")


def normalize_instruction(
    text: Any, *, empty: str = "error", placeholder: str = DEFAULT_PLACEHOLDER
) -> str:
    """Normalize a task instruction for the action prompt (rules in the module docstring).

    Args:
        text: str, bytes, numpy bytes, or an int array of zero-padded UTF-8 byte codes.
        empty: policy for an instruction that is empty after normalization: ``"error"`` (raise),
            ``"keep"`` (return ""), ``"placeholder"`` (return ``placeholder``).
        placeholder: the text used by ``empty="placeholder"``.

    Returns:
        e.g. ``"Pick the  Coke can.\\n"`` -> ``"pick the Coke can"``.

    Raises:
        PromptError: undecodable bytes, unsupported type, or an empty instruction under ``empty="error"``.
    """
    if empty not in EMPTY_POLICIES:
        raise PromptError(f"empty-instruction policy {empty!r} is not one of {list(EMPTY_POLICIES)}")
    cleaned = _clean(_to_text(text))
    if len(cleaned) >= 1 and cleaned[0].isupper() and not (len(cleaned) > 1 and cleaned[1].isupper()):
        cleaned = cleaned[0].lower() + cleaned[1:]
    if cleaned:
        return cleaned
    if empty == "keep":
        return ""
    if empty == "placeholder":
        return placeholder
    raise PromptError(
        f"instruction {text!r} is empty after normalization; pass empty='keep' or empty='placeholder' to accept it"
    )


def action_prompt(
    instruction: Any, *, template: PromptTemplate = DEFAULT_ACTION_TEMPLATE, empty: str = "error"
) -> str:
    """Normalize ``instruction`` and render it into the action ``template``."""
    if template.kind != "action":
        raise PromptError(f"template {template.id!r} is a {template.kind} template, not an action template")
    return template.render(instruction=normalize_instruction(instruction, empty=empty))


def action_target(action_text: str, plan: str | None = None) -> str:
    """The training target: the action string, or ``Plan: {plan}. Action: {action_text}`` with a plan.

    The plan's whitespace is collapsed and its trailing punctuation stripped (the template adds the period);
    an empty plan or one containing ``Action:`` is a ``PromptError``.
    """
    if not isinstance(action_text, str) or not action_text:
        raise PromptError(f"action text must be a non-empty string, got {action_text!r}")
    if plan is None:
        return action_text
    if not isinstance(plan, str):
        raise PromptError(f"plan must be a string or None, got {type(plan).__name__}")
    cleaned = _clean(plan)
    if not cleaned:
        raise PromptError(f"plan {plan!r} is empty; pass plan=None for a target without a plan")
    if "Action:" in cleaned:
        raise PromptError(f"plan {plan!r} contains 'Action:', which would make the target ambiguous")
    return f"{_PLAN_PREFIX}{cleaned}{_ACTION_MARK}{action_text}"


def split_target(target: str) -> tuple[str | None, str]:
    """Inverse of ``action_target``: ``(plan or None, action_text)``."""
    if target.startswith(_PLAN_PREFIX):
        plan, sep, action = target[len(_PLAN_PREFIX):].rpartition(_ACTION_MARK)
        if sep and plan:
            return plan, action
        raise PromptError(f"target {target!r} starts with 'Plan: ' but has no '. Action: ' part")
    return None, target
