"""The words customers use for the catalogue's appliance types, for every reader of text outside
the assistant (search's index and queries, symptom matching): one vocabulary, so "fridge" means
the same thing everywhere. The assistant's own understanding lives in `conversations/assistant/`.
"""

# Other spellings of an appliance type's name: read as that name wherever text is matched.
APPLIANCE_SPELLINGS: dict[str, str] = {
    "fridge": "refrigerator",
    "fridges": "refrigerator",
    "frig": "refrigerator",
    "refridgerator": "refrigerator",
    "refrigerators": "refrigerator",
    "dishwaser": "dishwasher",
    "dishwashers": "dishwasher",
}

# Words that say which appliance is meant: its name, its spellings, and words that are not its
# name ("freezer"). Those last are not search synonyms: a freezer part is not every refrigerator part.
APPLIANCE_MENTIONS: dict[str, str] = {
    "refrigerator": "refrigerator",
    "dishwasher": "dishwasher",
    **APPLIANCE_SPELLINGS,
    "freezer": "refrigerator",
}


def appliance_type_mentioned(words: list[str]) -> str | None:
    """The appliance type the first word naming one names ("my fridge leaks" → "refrigerator")."""
    for word in words:
        if word in APPLIANCE_MENTIONS:
            return APPLIANCE_MENTIONS[word]
    return None
