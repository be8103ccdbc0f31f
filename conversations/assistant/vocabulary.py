"""Words customers use for appliance types. The shop's scope (a setting) says which are allowed;
this only says what a word means, for every kind of appliance, so out-of-scope ones are recognised."""

APPLIANCE_WORDS: dict[str, tuple[str, ...]] = {
    "refrigerator": ("refrigerator", "fridge", "freezer", "ice maker", "icemaker", "refridgerator", "frige", "fridg"),
    "dishwasher": ("dishwasher", "dish washer", "dishwaser", "dishwahser"),
    "washer": ("washing machine", "washer", "laundry machine"),
    "dryer": ("dryer", "tumble dryer", "clothes dryer"),
    "oven": ("oven", "stove", "range", "cooktop", "hob"),
    "microwave": ("microwave",),
    "air_conditioner": ("air conditioner", "aircon", "a/c unit", "hvac"),
    "vacuum": ("vacuum", "hoover"),
    "water_heater": ("water heater", "boiler"),
}
