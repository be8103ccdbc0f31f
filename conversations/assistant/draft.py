from dataclasses import dataclass, field

from actions.services.selection import ActionProposal


@dataclass
class Draft:
    """What an engine proposes; the server still decides the actions and checks the facts."""

    content: str
    intent: str
    parts: list[dict] = field(default_factory=list)
    proposals: list[ActionProposal] = field(default_factory=list)
    context: dict = field(default_factory=dict)  # what the conversation should remember
    entities: dict = field(default_factory=dict)
    engine: str = "rules"
    usage: dict = field(default_factory=dict)
    grounding: dict = field(default_factory=dict)  # what the grounding check corrected
    fallback: str = ""  # why the configured engine was not used (e.g. "openai_error")
