"""Prompt templates of web examples, one per kind, recorded in the mixture manifest.

- caption: the prompt is the template text as is (default ``Caption:``, id ``caption-v1``); the target is the caption.
- vqa: the prompt is the template with ``{question}`` filled in (default ``Q: {question} A:``, id ``vqa-v1``);
  the target is the answer.

Templates are ``str.format`` strings checked by ``rt2data.prompt.PromptTemplate`` (id rules, plain named fields);
a literal brace is written ``{{`` / ``}}``. The placeholders a kind allows
are fixed (``question`` for vqa, none for caption) so a typo fails when the mixture is loaded, not mid-run.
"""

from __future__ import annotations

from dataclasses import dataclass

from rt2data.errors import PromptError
from rt2data.prompt import PromptTemplate

__all__ = ["WebTemplate", "DEFAULT_TEMPLATES", "PLACEHOLDERS", "default_template"]

# kind -> (placeholders allowed, placeholders required)
PLACEHOLDERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "caption": (frozenset(), frozenset()),
    "vqa": (frozenset({"question"}), frozenset({"question"})),
}


@dataclass(frozen=True)
class WebTemplate:
    """A prompt template for one kind of web example.

    Attributes:
        kind: ``caption`` | ``vqa``.
        id: recorded as every example's ``template_id``.
        prompt: ``str.format`` text; placeholders as allowed by ``PLACEHOLDERS[kind]``.
    """

    kind: str
    id: str
    prompt: str

    def __post_init__(self) -> None:
        if self.kind not in PLACEHOLDERS:
            raise PromptError(f"template {self.id!r}: kind {self.kind!r} is not one of {sorted(PLACEHOLDERS)}")

        # Same id and brace rules as every other template of the project.
        names = set(PromptTemplate(self.id, self.prompt, self.kind).fields)
        allowed, required = PLACEHOLDERS[self.kind]
        unknown = names - allowed
        if unknown:
            raise PromptError(
                f"template {self.id!r}: unknown placeholder(s) {sorted(unknown)} in {self.prompt!r}; "
                f"{self.kind} prompts may use {sorted(allowed) or 'no placeholders'} (write literal braces as {{{{ }}}})"
            )
        missing = required - names
        if missing:
            raise PromptError(f"template {self.id!r}: {self.kind} prompt {self.prompt!r} must contain "
                              + ", ".join("{" + m + "}" for m in sorted(missing)))

    def render(self, **fields: str) -> str:
        """The prompt with placeholders filled in (``question=...`` for vqa)."""
        return self.prompt.format(**fields)

    def to_json_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id, "prompt": self.prompt}


DEFAULT_TEMPLATES: dict[str, WebTemplate] = {
    "caption": WebTemplate(kind="caption", id="caption-v1", prompt="Caption:"),
    "vqa": WebTemplate(kind="vqa", id="vqa-v1", prompt="Q: {question} A:"),
}


def default_template(kind: str) -> WebTemplate:
    """The default template of a web kind."""
    try:
        return DEFAULT_TEMPLATES[kind]
    except KeyError:
        raise PromptError(f"no default template for kind {kind!r}; web kinds: {sorted(DEFAULT_TEMPLATES)}") from None
