"""Which status may follow which: the action state machine, in one table."""

from actions.enums import ActionStatus as S

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.RENDERED, S.EXPIRED}),
    S.RENDERED: frozenset({S.CLICKED, S.PENDING_APPROVAL, S.EXPIRED, S.FAILED}),
    S.CLICKED: frozenset({S.PENDING_APPROVAL, S.SUCCEEDED, S.FAILED, S.EXPIRED}),
    S.PENDING_APPROVAL: frozenset({S.APPROVED, S.DENIED, S.EDITED, S.EXPIRED}),
    S.APPROVED: frozenset({S.SUCCEEDED, S.FAILED}),
    S.EDITED: frozenset({S.SUCCEEDED, S.FAILED}),
    # A failed payment leaves the button usable again: the customer may retry.
    S.FAILED: frozenset({S.CLICKED}),
    S.DENIED: frozenset(),
    S.SUCCEEDED: frozenset(),
    S.EXPIRED: frozenset(),
}

# Statuses in which the customer can still press the button.
CLICKABLE = frozenset({S.RENDERED, S.CLICKED, S.FAILED})
TERMINAL = frozenset({S.DENIED, S.SUCCEEDED, S.EXPIRED})


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(from_status, frozenset())
