"""How the files in demo_data/ were made (run once; the JSON/CSV files are the source of truth).

    .venv/bin/python demo_data/tools/make_demo_data.py

Deterministic (fixed seed): re-running it rewrites identical files. Edit the data files
directly from now on; this script is kept only as a record of how they were produced.
Demo PS numbers are PS1xxxxxxx; `generate_catalog` uses PS9xxxxxxx so the two never collide.
"""

import csv
import json
import random
from decimal import Decimal
from pathlib import Path

from make_part_images import image_url  # the pictures shipped in static/parley/parts/

OUT = Path(__file__).resolve().parent.parent
rnd = random.Random(20241124)

# --- symptoms ------------------------------------------------------------------------
FRIDGE_SYMPTOMS = [
    (
        "ice-maker-not-working",
        "Ice maker not working",
        [
            "ice maker not working",
            "not making ice",
            "no ice",
            "ice maker stopped",
            "ice maker broken",
            "icemaker not working",
        ],
    ),
    (
        "ice-maker-leaking",
        "Ice maker leaking",
        ["ice maker leaking", "water leaking from ice maker", "ice maker overflowing"],
    ),
    (
        "ice-cubes-small",
        "Ice cubes small or hollow",
        ["small ice cubes", "hollow ice", "ice cubes too small", "thin ice"],
    ),
    (
        "ice-dispenser-not-working",
        "Ice dispenser not working",
        ["ice dispenser not working", "ice not dispensing", "ice dispenser jammed", "ice stuck"],
    ),
    (
        "water-dispenser-not-working",
        "Water dispenser not working",
        ["water dispenser not working", "no water from dispenser", "dispenser not dispensing water"],
    ),
    (
        "water-flow-slow",
        "Slow water flow",
        ["slow water", "water dispenser slow", "low water pressure", "weak water flow"],
    ),
    (
        "water-tastes-bad",
        "Water tastes or smells bad",
        ["water tastes bad", "bad taste", "water smells", "cloudy water"],
    ),
    (
        "water-filter-light-on",
        "Water filter light on",
        ["filter light", "change filter light", "replace filter", "filter indicator"],
    ),
    (
        "refrigerator-not-cooling",
        "Refrigerator not cooling",
        ["not cooling", "fridge warm", "not cold", "fridge not cold", "warm fridge", "stopped cooling"],
    ),
    (
        "freezer-not-freezing",
        "Freezer not freezing",
        ["freezer not freezing", "freezer warm", "ice cream soft", "freezer not cold"],
    ),
    (
        "refrigerator-too-cold",
        "Refrigerator too cold",
        ["too cold", "freezing food", "food freezing", "lettuce frozen"],
    ),
    (
        "temperature-fluctuates",
        "Temperature fluctuates",
        ["temperature fluctuates", "temperature keeps changing", "inconsistent temperature", "temperature swings"],
    ),
    (
        "refrigerator-leaking",
        "Refrigerator leaking water",
        ["leaking", "water on floor", "puddle", "leak under fridge", "water leaking"],
    ),
    (
        "refrigerator-noisy",
        "Refrigerator noisy",
        ["noisy", "loud", "buzzing", "rattling", "humming", "grinding noise", "squealing"],
    ),
    ("refrigerator-clicking", "Refrigerator clicking", ["clicking", "clicks on and off", "clicking noise"]),
    (
        "refrigerator-runs-constantly",
        "Runs constantly",
        ["runs constantly", "runs all the time", "never stops running", "always running"],
    ),
    (
        "refrigerator-wont-start",
        "Refrigerator won't start",
        ["won't start", "not turning on", "dead", "no power", "will not turn on"],
    ),
    (
        "refrigerator-door-wont-close",
        "Door won't close",
        ["door won't close", "door doesn't close", "door not closing", "door not sealing", "door pops open"],
    ),
    (
        "door-seal-damaged",
        "Door seal damaged",
        ["door seal", "gasket torn", "seal broken", "gasket loose", "seal ripped"],
    ),
    ("frost-buildup", "Frost buildup", ["frost", "ice buildup", "frost buildup", "frosted over", "ice on back wall"]),
    ("defrost-problem", "Not defrosting", ["not defrosting", "defrost", "defrost not working", "evaporator iced up"]),
    ("condensation-inside", "Condensation inside", ["condensation", "sweating", "moisture inside", "wet inside"]),
    (
        "refrigerator-light-not-working",
        "Light not working",
        ["light not working", "light out", "no light", "dark inside"],
    ),
    ("fan-not-running", "Fan not running", ["fan not working", "fan not running", "fan noise", "no air flow"]),
    (
        "door-bin-cracked",
        "Door bin cracked or broken",
        [
            "door bin cracked",
            "door shelf broken",
            "bin broken",
            "door bin broken",
            "shelf bin cracked",
            "door shelf cracked",
        ],
    ),
    ("shelf-broken", "Shelf broken", ["shelf broken", "glass shelf cracked", "shelf cracked", "shelf fell"]),
    (
        "crisper-drawer-broken",
        "Crisper drawer broken",
        ["crisper drawer", "drawer broken", "drawer cracked", "drawer won't slide"],
    ),
    ("door-handle-broken", "Door handle broken", ["handle broken", "door handle loose", "handle fell off"]),
    (
        "display-not-working",
        "Display or controls not working",
        ["display not working", "control panel not working", "display blank", "buttons not working"],
    ),
]
DISHWASHER_SYMPTOMS = [
    (
        "dishwasher-not-draining",
        "Dishwasher not draining",
        ["not draining", "water in bottom", "standing water", "won't drain", "water left in dishwasher"],
    ),
    (
        "dishwasher-not-cleaning",
        "Not cleaning dishes",
        ["not cleaning", "dishes dirty", "food left on dishes", "dishes not clean", "gritty dishes"],
    ),
    ("dishwasher-leaking", "Dishwasher leaking", ["leaking", "water on floor", "leaks", "puddle", "leaking from door"]),
    ("dishwasher-noisy", "Dishwasher noisy", ["noisy", "loud", "grinding", "humming", "rattling", "squealing"]),
    (
        "dishwasher-wont-start",
        "Dishwasher won't start",
        ["won't start", "not turning on", "dead", "no power", "will not start"],
    ),
    ("dishwasher-not-filling", "Not filling with water", ["not filling", "no water", "won't fill", "doesn't fill"]),
    ("dishwasher-overflowing", "Overflowing", ["overflowing", "fills too much", "too much water", "overfills"]),
    ("dishwasher-not-drying", "Not drying dishes", ["not drying", "dishes wet", "dishes still wet"]),
    ("dishwasher-not-heating", "Water not heating", ["not heating", "water not hot", "cold water", "no heat"]),
    (
        "dishwasher-door-wont-close",
        "Door won't close or latch",
        ["door won't close", "door won't latch", "latch broken", "door doesn't close", "door not latching"],
    ),
    (
        "dishwasher-door-falls-open",
        "Door falls open",
        ["door falls open", "door drops", "door slams", "door springs", "door too heavy"],
    ),
    (
        "dishwasher-door-gasket-damaged",
        "Door gasket damaged",
        ["door gasket", "door seal", "seal torn", "gasket cracked"],
    ),
    (
        "detergent-dispenser-not-opening",
        "Detergent dispenser not opening",
        ["soap dispenser", "detergent not dispensing", "detergent door", "soap not dissolving", "dispenser won't open"],
    ),
    (
        "rinse-aid-not-dispensing",
        "Rinse aid not dispensing",
        ["rinse aid", "rinse aid not dispensing", "rinse aid leaking"],
    ),
    (
        "dishes-spotty",
        "Spots or film on dishes",
        ["spots", "cloudy glasses", "film on dishes", "spotty glasses", "white residue"],
    ),
    ("dishwasher-bad-smell", "Dishwasher smells bad", ["smell", "bad smell", "smells", "odor", "stinks"]),
    (
        "spray-arm-not-spinning",
        "Spray arm not spinning",
        ["spray arm not spinning", "spray arm broken", "spray arm stuck", "spray arm cracked"],
    ),
    (
        "rack-wheel-broken",
        "Rack wheel broken",
        ["rack wheel", "wheel broken", "wheel fell off", "rack won't roll", "roller broken"],
    ),
    (
        "upper-rack-wont-stay-up",
        "Upper rack won't stay up",
        [
            "upper rack falls",
            "rack adjuster broken",
            "upper rack won't adjust",
            "rack drops",
            "top rack sagging",
            "upper rack won't stay up",
        ],
    ),
    (
        "rack-slides-off-track",
        "Rack slides off track",
        ["rack off track", "rack falls out", "rack won't slide", "rack comes off rails"],
    ),
    (
        "rack-tines-broken",
        "Rack tines broken or rusty",
        ["rack tines", "tines broken", "rust on rack", "rusty rack", "prongs broken"],
    ),
    (
        "silverware-basket-broken",
        "Silverware basket broken",
        ["silverware basket", "cutlery basket", "utensil basket broken"],
    ),
    (
        "control-panel-not-responding",
        "Control panel not responding",
        ["buttons not working", "control panel", "touchpad not working", "keypad not responding"],
    ),
    (
        "dishwasher-error-code",
        "Error code or blinking lights",
        ["error code", "blinking lights", "flashing lights", "beeping"],
    ),
    (
        "dishwasher-runs-too-long",
        "Cycle runs too long",
        ["runs too long", "cycle too long", "won't finish", "cycle never ends"],
    ),
    (
        "dishwasher-stops-mid-cycle",
        "Stops mid-cycle",
        ["stops mid cycle", "stops running", "stops during cycle", "shuts off"],
    ),
    (
        "dishwasher-trips-breaker",
        "Trips the breaker",
        ["trips breaker", "blows fuse", "breaker trips", "burning smell"],
    ),
]

# --- part types -----------------------------------------------------------------------
# (name, category, (min price, max price), difficulty, minutes, tools, steps, symptom slugs)
FRIDGE_PARTS = [
    (
        "Refrigerator Door Shelf Bin",
        "Bins and Shelves",
        (19, 65),
        "really_easy",
        5,
        [],
        [
            "Open the refrigerator door and remove everything from the damaged door bin.",
            "Lift the bin straight up to release it from the tabs moulded into the door liner.",
            "Tilt the bin toward you and pull it clear of the door.",
            "Line up the new bin's side channels with the same pair of door-liner tabs.",
            "Press the bin down until it seats fully on both tabs and does not rock.",
            "Reload the bin and close the door to check it clears the shelves inside.",
        ],
        ["door-bin-cracked", "refrigerator-door-wont-close"],
    ),
    (
        "Ice Maker Assembly",
        "Ice Makers",
        (89, 189),
        "moderate",
        30,
        ["Phillips screwdriver", "1/4-inch nut driver"],
        [
            "Unplug the refrigerator and set the ice maker switch to OFF.",
            "Remove the ice bucket from the freezer.",
            "Remove the mounting screws that hold the ice maker to the freezer wall.",
            "Lift the ice maker off its mounting screws and disconnect the wire harness plug.",
            "Connect the harness to the new ice maker and hang it on the mounting screws.",
            "Tighten the screws, refit the ice bucket and restore power.",
            "Switch the ice maker ON and discard the first three batches of ice.",
        ],
        ["ice-maker-not-working", "ice-maker-leaking", "ice-cubes-small"],
    ),
    (
        "Ice Maker Fill Tube",
        "Ice Makers",
        (14, 39),
        "easy",
        15,
        ["Hair dryer", "Phillips screwdriver"],
        [
            "Unplug the refrigerator and shut off the water supply.",
            "Remove the ice bucket and the ice maker to expose the fill tube.",
            "Melt any ice in the tube with a hair dryer on low heat.",
            "Release the fill tube clamp and pull the old tube out of the rear wall.",
            "Push the new fill tube into place and secure the clamp.",
            "Refit the ice maker, restore water and power, and check for leaks.",
        ],
        ["ice-maker-not-working", "ice-maker-leaking"],
    ),
    (
        "Refrigerator Water Inlet Valve",
        "Valves",
        (35, 95),
        "moderate",
        30,
        ["1/4-inch nut driver", "Adjustable wrench", "Towel"],
        [
            "Unplug the refrigerator and turn off the household water supply.",
            "Pull the refrigerator away from the wall and remove the lower rear access panel.",
            "Disconnect the supply line from the valve inlet, catching water with a towel.",
            "Press the release collars and pull the outlet tubes from the valve.",
            "Unplug the wire harness and remove the valve's mounting screws.",
            "Mount the new valve, reconnect the harness, tubes and supply line.",
            "Turn the water on, check every fitting for leaks and refit the access panel.",
        ],
        ["ice-maker-not-working", "water-dispenser-not-working", "refrigerator-leaking", "water-flow-slow"],
    ),
    (
        "Refrigerator Door Gasket",
        "Seals and Gaskets",
        (59, 145),
        "easy",
        25,
        ["Hair dryer"],
        [
            "Soak the new gasket in warm water or warm it with a hair dryer so the folds relax.",
            "Open the door and pull back the old gasket to expose its retaining channel.",
            "Peel the old gasket out of the channel, starting at a top corner.",
            "Press the new gasket into the channel at the corners first, then along each side.",
            "Close the door and check for gaps with a sheet of paper around the seal.",
            "Warm any creased sections with the hair dryer until they seal flat.",
        ],
        [
            "door-seal-damaged",
            "refrigerator-door-wont-close",
            "condensation-inside",
            "frost-buildup",
            "refrigerator-runs-constantly",
        ],
    ),
    (
        "Defrost Thermostat",
        "Thermostats",
        (15, 45),
        "moderate",
        45,
        ["Phillips screwdriver", "Wire connectors"],
        [
            "Unplug the refrigerator and empty the freezer.",
            "Remove the freezer shelves and the rear evaporator cover panel.",
            "Locate the defrost thermostat clipped to the evaporator tubing.",
            "Cut or unplug the thermostat leads and unclip it from the tubing.",
            "Clip the new thermostat to the same tube and connect the leads with wire connectors.",
            "Refit the evaporator cover and shelves and restore power.",
        ],
        ["frost-buildup", "defrost-problem", "refrigerator-not-cooling"],
    ),
    (
        "Defrost Heater Assembly",
        "Heating Elements",
        (29, 89),
        "difficult",
        60,
        ["Phillips screwdriver", "1/4-inch nut driver", "Multimeter"],
        [
            "Unplug the refrigerator and move frozen food to a cooler.",
            "Remove the freezer shelves, ice bucket and rear evaporator cover.",
            "Let any ice on the evaporator melt completely.",
            "Unplug the heater leads and release the heater's retaining clips.",
            "Slide the old heater out from under the evaporator coils.",
            "Fit the new heater in the same position and secure the clips.",
            "Check the heater for continuity with a multimeter, reconnect it and refit the cover.",
            "Restore power and confirm the freezer cools within a few hours.",
        ],
        ["frost-buildup", "defrost-problem", "refrigerator-not-cooling"],
    ),
    (
        "Evaporator Fan Motor",
        "Motors",
        (35, 110),
        "moderate",
        30,
        ["Phillips screwdriver", "1/4-inch nut driver"],
        [
            "Unplug the refrigerator and empty the freezer.",
            "Remove the freezer shelves and the rear evaporator cover.",
            "Unscrew the fan motor bracket and pull the motor forward.",
            "Disconnect the wire harness and transfer the fan blade to the new motor.",
            "Connect the harness, mount the new motor and refit the cover.",
            "Restore power and listen for the fan running quietly.",
        ],
        ["refrigerator-noisy", "fan-not-running", "refrigerator-not-cooling", "freezer-not-freezing"],
    ),
    (
        "Condenser Fan Motor",
        "Motors",
        (29, 95),
        "moderate",
        35,
        ["1/4-inch nut driver", "Phillips screwdriver"],
        [
            "Unplug the refrigerator and pull it away from the wall.",
            "Remove the lower rear access panel.",
            "Disconnect the fan motor wires and unscrew the motor bracket.",
            "Move the fan blade and bracket to the new motor.",
            "Install the new motor, reconnect the wires and refit the panel.",
            "Restore power and check that the fan spins freely.",
        ],
        ["refrigerator-noisy", "fan-not-running", "refrigerator-not-cooling", "refrigerator-runs-constantly"],
    ),
    (
        "Refrigerator Water Filter",
        "Filters",
        (24, 59),
        "really_easy",
        5,
        [],
        [
            "Locate the filter housing in the top right of the fresh-food section or in the base grille.",
            "Turn the old filter a quarter-turn anticlockwise and pull it out.",
            "Remove the protective cap from the new filter.",
            "Insert the new filter and turn it clockwise until it locks.",
            "Run 3 gallons of water through the dispenser to flush it.",
            "Hold the filter reset button for 3 seconds to clear the filter light.",
        ],
        ["water-tastes-bad", "water-filter-light-on", "water-flow-slow", "ice-cubes-small"],
    ),
    (
        "Crisper Drawer",
        "Drawers and Glides",
        (39, 115),
        "really_easy",
        5,
        [],
        [
            "Empty the crisper drawer.",
            "Pull the drawer out until it stops, then lift the front and pull it free.",
            "Set the new drawer on the glides at the back.",
            "Push the drawer in until it drops into its track and slides smoothly.",
        ],
        ["crisper-drawer-broken"],
    ),
    (
        "Glass Shelf",
        "Bins and Shelves",
        (45, 125),
        "really_easy",
        5,
        [],
        [
            "Remove all food from the shelf.",
            "Lift the back of the shelf to free its hooks from the rear ladder rails.",
            "Pull the shelf out of the refrigerator.",
            "Hook the new shelf into the rails at the height you want and lower it level.",
        ],
        ["shelf-broken"],
    ),
    (
        "Compressor Start Relay",
        "Relays",
        (15, 49),
        "easy",
        15,
        ["Flat-blade screwdriver", "Needle-nose pliers"],
        [
            "Unplug the refrigerator and pull it away from the wall.",
            "Remove the lower rear access panel to reach the compressor.",
            "Pry off the relay cover and pull the relay straight off the compressor pins.",
            "Move the wires one at a time from the old relay to the new one.",
            "Push the new relay onto the compressor pins and refit the cover.",
            "Restore power and listen for the compressor starting without clicking.",
        ],
        ["refrigerator-clicking", "refrigerator-not-cooling", "refrigerator-wont-start"],
    ),
    (
        "Main Control Board",
        "Circuit Boards",
        (119, 329),
        "moderate",
        40,
        ["1/4-inch nut driver", "Phillips screwdriver", "Camera or phone"],
        [
            "Unplug the refrigerator.",
            "Remove the control board cover (rear lower panel or top of the fresh-food section).",
            "Photograph the connectors so you can put them back in the same places.",
            "Unplug each connector and unscrew the board.",
            "Mount the new board and reconnect every connector as in your photo.",
            "Refit the cover, restore power and check the display and cooling.",
        ],
        ["refrigerator-wont-start", "display-not-working", "temperature-fluctuates", "refrigerator-not-cooling"],
    ),
    (
        "Temperature Sensor Thermistor",
        "Sensors",
        (15, 45),
        "easy",
        20,
        ["Phillips screwdriver", "Wire connectors"],
        [
            "Unplug the refrigerator.",
            "Remove the shelves or cover hiding the sensor in the fresh-food section.",
            "Unclip the sensor and cut or unplug its leads.",
            "Connect the new sensor with the supplied wire connectors.",
            "Clip the sensor back in place, refit the cover and restore power.",
        ],
        ["temperature-fluctuates", "refrigerator-too-cold", "refrigerator-not-cooling"],
    ),
    (
        "Air Damper Control Assembly",
        "Dampers",
        (39, 129),
        "moderate",
        30,
        ["Phillips screwdriver", "1/4-inch nut driver"],
        [
            "Unplug the refrigerator.",
            "Remove the top shelf and the air tower or control housing cover.",
            "Disconnect the damper wire harness.",
            "Unscrew the damper and lift it out of the air duct.",
            "Install the new damper, reconnect the harness and refit the cover.",
            "Restore power and check the fresh-food temperature after a few hours.",
        ],
        ["refrigerator-too-cold", "refrigerator-not-cooling", "temperature-fluctuates"],
    ),
    (
        "Refrigerator Door Handle",
        "Handles",
        (29, 95),
        "easy",
        10,
        ["Allen key", "Phillips screwdriver"],
        [
            "Open the door and locate the set screws under each end of the handle.",
            "Loosen the set screws with an Allen key and slide the handle off its studs.",
            "Fit the new handle over the mounting studs.",
            "Tighten the set screws until the handle is firm.",
        ],
        ["door-handle-broken"],
    ),
    (
        "LED Light Module",
        "Lights and Bulbs",
        (24, 79),
        "easy",
        10,
        ["Flat-blade screwdriver"],
        [
            "Unplug the refrigerator.",
            "Pry the light cover off with a flat-blade screwdriver.",
            "Disconnect the LED module's connector and release its clips.",
            "Clip in the new module and reconnect it.",
            "Refit the cover and restore power.",
        ],
        ["refrigerator-light-not-working"],
    ),
    (
        "Ice Dispenser Auger Motor",
        "Motors",
        (45, 129),
        "moderate",
        40,
        ["1/4-inch nut driver", "Phillips screwdriver"],
        [
            "Unplug the refrigerator and remove the ice bucket.",
            "Remove the screws holding the auger motor cover at the back of the freezer.",
            "Disconnect the wire harness and remove the motor mounting screws.",
            "Fit the new motor, reconnect the harness and replace the cover.",
            "Refit the ice bucket, restore power and test the dispenser.",
        ],
        ["ice-dispenser-not-working", "refrigerator-noisy"],
    ),
    (
        "Ice Bucket Assembly",
        "Ice Makers",
        (49, 149),
        "really_easy",
        5,
        [],
        [
            "Open the freezer or ice compartment door.",
            "Lift the front of the old ice bucket and pull it out.",
            "Slide the new bucket in until the auger coupling engages.",
            "Press the dispenser paddle to check ice is delivered.",
        ],
        ["ice-dispenser-not-working"],
    ),
    (
        "Door Closing Cam Kit",
        "Hinges",
        (12, 39),
        "easy",
        15,
        ["5/16-inch nut driver", "Helper to hold the door"],
        [
            "Open the door and have a helper support it.",
            "Remove the bottom hinge cover and the hinge bolts.",
            "Lift the door off and replace the closing cam on the hinge pin.",
            "Refit the door and hinge bolts.",
            "Close the door gently and check that it swings shut on its own.",
        ],
        ["refrigerator-door-wont-close"],
    ),
    (
        "Defrost Drain Pan",
        "Trays",
        (19, 59),
        "easy",
        15,
        ["1/4-inch nut driver", "Towel"],
        [
            "Unplug the refrigerator and pull it away from the wall.",
            "Remove the lower rear access panel.",
            "Slide out the old drain pan and wipe up any standing water.",
            "Slide the new pan into its clips below the drain tube.",
            "Refit the panel and push the refrigerator back.",
        ],
        ["refrigerator-leaking", "refrigerator-noisy"],
    ),
]
DISHWASHER_PARTS = [
    (
        "Dishwasher Upper Rack Adjuster",
        "Dishrack Adjusters",
        (19, 55),
        "easy",
        15,
        [],
        [
            "Pull the upper rack all the way out.",
            "Open the rack stop clips at the end of each rail and slide the rack off the rails.",
            "Unclip the old adjuster from the side of the rack wire.",
            "Snap the new adjuster onto the rack wire at the same position.",
            "Move the rack wheels from the old adjuster to the new one.",
            "Slide the rack back onto the rails and close the stop clips.",
            "Test the rack in both the high and low positions.",
        ],
        ["upper-rack-wont-stay-up", "rack-slides-off-track"],
    ),
    (
        "Dishwasher Upper Rack Adjuster Kit",
        "Dishrack Adjusters",
        (29, 69),
        "easy",
        20,
        [],
        [
            "Pull the upper rack out and remove both rail end stops.",
            "Slide the rack off the rails and set it on a towel.",
            "Remove the adjusters and wheels from both sides of the rack.",
            "Fit the left and right adjusters from the kit onto the rack wire.",
            "Fit the new wheels, slide the rack onto the rails and refit the end stops.",
            "Check that both sides lock at the same height.",
        ],
        ["upper-rack-wont-stay-up", "rack-slides-off-track"],
    ),
    (
        "Dishwasher Lower Rack Wheel",
        "Wheels and Rollers",
        (5, 24),
        "really_easy",
        5,
        [],
        [
            "Pull the lower rack out of the dishwasher.",
            "Turn the rack on its side to reach the wheel.",
            "Pull or pry the broken wheel off its axle clip.",
            "Press the new wheel onto the axle until it clicks.",
            "Put the rack back and check it rolls smoothly.",
        ],
        ["rack-wheel-broken", "rack-slides-off-track"],
    ),
    (
        "Dishwasher Drain Pump",
        "Pumps",
        (39, 119),
        "moderate",
        45,
        ["Phillips screwdriver", "1/4-inch nut driver", "Pliers", "Towel"],
        [
            "Turn off power at the breaker and shut off the water supply.",
            "Remove the lower rack, the filter and any standing water from the sump.",
            "Remove the toe kick and pull the dishwasher forward if needed to reach the pump.",
            "Disconnect the pump's wire harness and release the drain hose clamp.",
            "Twist the pump counter-clockwise to release it from the sump and pull it out.",
            "Fit the new pump, twist it to lock, and reconnect the hose and harness.",
            "Restore power and water, run a short cycle and check for leaks.",
        ],
        ["dishwasher-not-draining", "dishwasher-noisy", "dishwasher-leaking", "dishwasher-bad-smell"],
    ),
    (
        "Dishwasher Lower Spray Arm",
        "Spray Arms",
        (19, 59),
        "really_easy",
        5,
        [],
        [
            "Remove the lower rack.",
            "Unscrew the spray arm hub nut or lift the arm straight up off its mount.",
            "Check the mount for debris and clean it.",
            "Press the new spray arm onto the mount and secure it.",
            "Spin the arm by hand to check it turns freely, then refit the rack.",
        ],
        ["spray-arm-not-spinning", "dishwasher-not-cleaning", "dishwasher-noisy"],
    ),
    (
        "Dishwasher Upper Spray Arm",
        "Spray Arms",
        (19, 59),
        "easy",
        10,
        [],
        [
            "Pull out the upper rack.",
            "Unscrew the spray arm nut under the rack (it may be reverse-threaded).",
            "Remove the old spray arm and clean the manifold opening.",
            "Fit the new arm and tighten the nut by hand.",
            "Spin the arm to check it clears the rack, then push the rack in.",
        ],
        ["spray-arm-not-spinning", "dishwasher-not-cleaning"],
    ),
    (
        "Dishwasher Door Gasket",
        "Seals and Gaskets",
        (19, 59),
        "easy",
        15,
        [],
        [
            "Open the door and pull the old gasket out of the tub channel, starting at the top.",
            "Clean the channel with warm soapy water.",
            "Starting at the top centre, press the new gasket into the channel.",
            "Work around the sides, keeping the gasket smooth without stretching it.",
            "Close the door and run a rinse cycle to check for leaks.",
        ],
        ["dishwasher-leaking", "dishwasher-door-gasket-damaged"],
    ),
    (
        "Dishwasher Water Inlet Valve",
        "Valves",
        (29, 79),
        "moderate",
        30,
        ["Phillips screwdriver", "Adjustable wrench", "Towel"],
        [
            "Turn off power at the breaker and shut off the hot water supply.",
            "Remove the toe kick panel.",
            "Disconnect the supply line and the fill hose from the valve, catching water with a towel.",
            "Unplug the wire harness and unscrew the valve bracket.",
            "Mount the new valve and reconnect the fill hose, supply line and harness.",
            "Restore water and power, run a fill and check for leaks.",
        ],
        ["dishwasher-not-filling", "dishwasher-overflowing", "dishwasher-leaking"],
    ),
    (
        "Dishwasher Door Latch Assembly",
        "Latches",
        (25, 75),
        "easy",
        20,
        ["Torx T20 driver", "Phillips screwdriver"],
        [
            "Turn off power at the breaker.",
            "Open the door and remove the screws around the inner door panel.",
            "Separate the outer panel to reach the latch.",
            "Disconnect the latch wires and unscrew the latch.",
            "Fit the new latch, reconnect the wires and reassemble the door.",
            "Restore power and check the door latches and the dishwasher starts.",
        ],
        ["dishwasher-door-wont-close", "dishwasher-wont-start"],
    ),
    (
        "Dishwasher Door Balance Link Kit",
        "Hinges",
        (15, 45),
        "moderate",
        40,
        ["Phillips screwdriver", "Needle-nose pliers"],
        [
            "Turn off power and remove the toe kick.",
            "Unhook the old door springs from the hinge arms and the frame.",
            "Remove the old cables or links and their pulleys.",
            "Route the new links over the pulleys and hook them to the hinge arms.",
            "Hook the new springs to the frame.",
            "Open and close the door to check it stays at any angle, then refit the toe kick.",
        ],
        ["dishwasher-door-falls-open", "dishwasher-noisy"],
    ),
    (
        "Dishwasher Detergent Dispenser",
        "Dispensers",
        (35, 95),
        "moderate",
        30,
        ["Torx T20 driver", "Phillips screwdriver"],
        [
            "Turn off power at the breaker.",
            "Open the door and remove the inner door panel screws.",
            "Disconnect the dispenser wiring and release the mounting tabs.",
            "Push the old dispenser out through the inner panel.",
            "Fit the new dispenser, secure the tabs and reconnect the wiring.",
            "Reassemble the door and test that the detergent cup opens during a cycle.",
        ],
        ["detergent-dispenser-not-opening", "rinse-aid-not-dispensing", "dishes-spotty", "dishwasher-not-cleaning"],
    ),
    (
        "Dishwasher Heating Element",
        "Heating Elements",
        (35, 99),
        "moderate",
        45,
        ["1/4-inch nut driver", "Multimeter", "Pliers"],
        [
            "Turn off power at the breaker and remove the lower rack.",
            "Remove the toe kick and disconnect the element terminals underneath.",
            "Remove the locknuts holding the element terminals to the tub.",
            "Lift the old element out from inside the tub.",
            "Fit the new element, tighten the locknuts and reconnect the terminals.",
            "Check continuity with a multimeter, refit the toe kick and restore power.",
        ],
        ["dishwasher-not-drying", "dishwasher-not-heating", "dishwasher-runs-too-long", "dishwasher-trips-breaker"],
    ),
    (
        "Dishwasher Circulation Pump and Motor",
        "Pumps",
        (109, 259),
        "difficult",
        90,
        ["Phillips screwdriver", "1/4-inch nut driver", "Pliers", "Towel"],
        [
            "Turn off power and water, then disconnect the dishwasher and slide it out.",
            "Lay the dishwasher on its back on a towel.",
            "Disconnect the hoses and wire harness from the pump and motor.",
            "Release the mounting brackets and remove the pump assembly.",
            "Install the new assembly and reconnect the hoses and harness.",
            "Stand the dishwasher up, reinstall it and run a test cycle.",
        ],
        ["dishwasher-not-cleaning", "dishwasher-noisy", "dishwasher-wont-start", "spray-arm-not-spinning"],
    ),
    (
        "Dishwasher Main Control Board",
        "Circuit Boards",
        (109, 299),
        "moderate",
        40,
        ["Torx T20 driver", "Camera or phone"],
        [
            "Turn off power at the breaker.",
            "Open the door and remove the screws holding the control panel.",
            "Photograph the connectors, then unplug them.",
            "Release the board from its housing and fit the new board.",
            "Reconnect every connector as in your photo and refit the panel.",
            "Restore power and run a short cycle.",
        ],
        [
            "dishwasher-wont-start",
            "control-panel-not-responding",
            "dishwasher-error-code",
            "dishwasher-stops-mid-cycle",
        ],
    ),
    (
        "Dishwasher Control Panel Touchpad",
        "Control Panels",
        (59, 179),
        "moderate",
        30,
        ["Torx T20 driver"],
        [
            "Turn off power at the breaker.",
            "Remove the control panel screws from the top edge of the door.",
            "Disconnect the touchpad ribbon cable from the control board.",
            "Peel or unclip the old touchpad and fit the new one.",
            "Reconnect the ribbon cable and refit the panel.",
            "Restore power and press every button to check it responds.",
        ],
        ["control-panel-not-responding", "dishwasher-wont-start"],
    ),
    (
        "Dishwasher Float Switch",
        "Switches",
        (10, 35),
        "easy",
        15,
        ["Phillips screwdriver"],
        [
            "Turn off power and remove the toe kick.",
            "Disconnect the wires from the float switch under the tub.",
            "Release the switch's locking tab and remove it.",
            "Fit the new switch and reconnect the wires.",
            "Check the float inside the tub moves freely, then restore power.",
        ],
        ["dishwasher-not-filling", "dishwasher-overflowing"],
    ),
    (
        "Dishwasher Silverware Basket",
        "Baskets",
        (19, 55),
        "really_easy",
        2,
        [],
        ["Lift the old basket out of the lower rack.", "Set the new basket into the lower rack in the same position."],
        ["silverware-basket-broken"],
    ),
    (
        "Dishwasher Upper Dishrack",
        "Dishracks",
        (89, 219),
        "easy",
        10,
        [],
        [
            "Pull out the upper rack and remove the rail end stops.",
            "Slide the old rack off the rails.",
            "Move the spray arm and adjusters to the new rack if they are not included.",
            "Slide the new rack onto the rails and refit the end stops.",
        ],
        ["rack-tines-broken", "upper-rack-wont-stay-up"],
    ),
    (
        "Dishwasher Lower Dishrack",
        "Dishracks",
        (89, 219),
        "easy",
        10,
        [],
        [
            "Pull the old lower rack out of the dishwasher.",
            "Check the new rack's wheels are fitted.",
            "Set the new rack on the door rails and push it in.",
        ],
        ["rack-tines-broken", "rack-wheel-broken"],
    ),
    (
        "Dishwasher Filter Assembly",
        "Filters",
        (19, 59),
        "easy",
        10,
        [],
        [
            "Remove the lower rack.",
            "Turn the cylindrical filter a quarter-turn anticlockwise and lift it out.",
            "Lift out the flat fine filter beneath it.",
            "Fit the new fine filter, then insert and lock the cylindrical filter.",
            "Refit the lower rack.",
        ],
        ["dishwasher-not-cleaning", "dishwasher-bad-smell", "dishwasher-not-draining", "dishes-spotty"],
    ),
    (
        "Dishwasher High Limit Thermostat",
        "Thermostats",
        (15, 45),
        "moderate",
        30,
        ["Phillips screwdriver", "Multimeter"],
        [
            "Turn off power and remove the toe kick.",
            "Locate the thermostat under the tub and disconnect its wires.",
            "Release the mounting bracket and remove the thermostat.",
            "Fit the new thermostat and reconnect the wires.",
            "Refit the toe kick and restore power.",
        ],
        ["dishwasher-not-heating", "dishwasher-not-drying", "dishwasher-runs-too-long"],
    ),
    (
        "Dishwasher Drain Hose",
        "Hoses and Tubes",
        (15, 45),
        "moderate",
        30,
        ["Pliers", "Flat-blade screwdriver", "Bucket"],
        [
            "Turn off power and water and place a bucket under the sink connection.",
            "Loosen the clamp and disconnect the hose from the sink drain or disposer.",
            "Remove the toe kick and release the hose clamp at the drain pump.",
            "Route the new hose along the same path, with a high loop under the counter.",
            "Clamp both ends, restore power and water and run a drain cycle.",
        ],
        ["dishwasher-not-draining", "dishwasher-leaking"],
    ),
    (
        "Dishwasher Turbidity Sensor",
        "Sensors",
        (25, 69),
        "moderate",
        30,
        ["Phillips screwdriver"],
        [
            "Turn off power and remove the toe kick.",
            "Disconnect the sensor's harness under the sump.",
            "Twist the sensor to release it from the sump.",
            "Fit the new sensor and reconnect the harness.",
            "Restore power and run a normal cycle.",
        ],
        ["dishwasher-not-cleaning", "dishwasher-runs-too-long", "dishwasher-stops-mid-cycle"],
    ),
    (
        "Dishwasher Rack Tine Row",
        "Dishracks",
        (9, 29),
        "really_easy",
        5,
        [],
        [
            "Pull out the rack with the broken tines.",
            "Unclip the tine row from the rack wires.",
            "Clip the new tine row into the same position until it snaps.",
            "Push the rack back in.",
        ],
        ["rack-tines-broken"],
    ),
]

# --- brands and models ---------------------------------------------------------------
FAMILY = {
    "Whirlpool": "whirlpool",
    "KitchenAid": "whirlpool",
    "Maytag": "whirlpool",
    "Kenmore": "whirlpool",
    "GE": "ge",
    "Frigidaire": "frigidaire",
    "Samsung": "samsung",
    "LG": "lg",
    "Bosch": "bosch",
}
FRIDGE_BRANDS = ["Whirlpool", "KitchenAid", "Maytag", "Kenmore", "GE", "Frigidaire", "Samsung", "LG"]
DISH_BRANDS = ["Whirlpool", "KitchenAid", "Maytag", "Kenmore", "GE", "Frigidaire", "Samsung", "LG", "Bosch"]

MODELS = {
    ("Whirlpool", "refrigerator"): [
        "WRS325SDHZ",
        "WRF555SDFZ",
        "WRS588FIHZ",
        "WRX735SDHZ",
        "WRT318FZDW",
        "WRF535SWHZ",
        "WRS321SDHZ",
        "WRT518SZFM",
        "WRF767SDHZ",
        "WRS571CIHZ",
    ],
    ("Whirlpool", "dishwasher"): [
        "WDT780SAEM1",
        "WDT730PAHZ0",
        "WDF520PADM7",
        "WDTA50SAHZ0",
        "WDT750SAHZ0",
        "WDT970SAHZ0",
        "WDF540PADM0",
        "WDT720PADM2",
        "WDP560HAMZ0",
        "WDT710PAYM5",
    ],
    ("KitchenAid", "refrigerator"): [
        "KRFF507HPS",
        "KRMF706ESS",
        "KRFC704FSS",
        "KRSF705HPS",
        "KRFF305ESS",
        "KBSD608EPS",
        "KRFC300ESS",
        "KRSC703HPS",
    ],
    ("KitchenAid", "dishwasher"): [
        "KDTE334GPS0",
        "KDFE104HPS0",
        "KDTM404KPS0",
        "KDPE234GPS0",
        "KDTM354DSS4",
        "KDTE204KPS0",
        "KDFE104DSS0",
        "KUDS30IXBL6",
    ],
    ("Maytag", "refrigerator"): [
        "MFI2570FEZ",
        "MRT118FFFZ",
        "MSS25C4MGZ",
        "MFI2269FRZ",
        "MRFF5036PZ",
        "MFT2772HEZ",
        "MRT311FFFZ",
        "MSS26C6MFZ",
    ],
    ("Maytag", "dishwasher"): [
        "MDB4949SDZ",
        "MDB8959SKZ",
        "MDB4949SKZ",
        "MDB7959SKZ",
        "MDB8979SEZ",
        "MDFS3924RZ",
        "MDB9959SKZ",
        "MDB4709PAB0",
    ],
    ("Kenmore", "refrigerator"): [
        "795.71043.010",
        "106.51133211",
        "795.72483.110",
        "106.51783310",
        "795.73103.410",
        "106.50023211",
        "795.74025.411",
        "106.41132210",
    ],
    ("Kenmore", "dishwasher"): [
        "665.13223N410",
        "665.13473N612",
        "665.13242K900",
        "665.12773K311",
        "665.13093K012",
        "665.14373N712",
        "665.13123K011",
        "665.13349K900",
    ],
    ("GE", "refrigerator"): [
        "GSS25GSHSS",
        "GFE28GYNFS",
        "GNE27JSMSS",
        "GSE25GSHSS",
        "GTE18GTHWW",
        "GYE22GYNFS",
        "GNE25JSKSS",
        "GFE26JYMFS",
        "GTS18GTHWW",
        "GSS23GSKSS",
    ],
    ("GE", "dishwasher"): [
        "GDT665SSNSS",
        "GDF630PSMSS",
        "GDT635HSMSS",
        "GDF530PGMWW",
        "GDT225SSLSS",
        "GDP665SYNFS",
        "GDT695SBLTS",
        "GDF510PGDBB",
        "GDT550HGDWW",
        "GDF640HSMSS",
    ],
    ("Frigidaire", "refrigerator"): [
        "FFTR1821TW",
        "FFHS2622MS",
        "FGHB2868TF",
        "FFSS2615TS",
        "FRSS2623AS",
        "LFHB2751TF",
        "FGHS2631PF",
        "FFTR1835VW",
        "FFHB2750TS",
        "FGSS2635TF",
    ],
    ("Frigidaire", "dishwasher"): [
        "FFCD2418US",
        "FGID2466QF",
        "FFID2426TS",
        "FDPC4221AS",
        "FGCD2456QF",
        "FFBD2412SS",
        "LFID2426TF",
        "FGIP2468UF",
        "FPID2498SF",
        "FFCD2413US",
    ],
    ("Samsung", "refrigerator"): [
        "RF28R7351SR",
        "RS27T5200SR",
        "RF23J9011SR",
        "RF28HMEDBSR",
        "RF26J7500SR",
        "RF23M8070SR",
        "RH29H9000SR",
        "RF28T5001SR",
        "RS22T5201SR",
        "RF263BEAESR",
    ],
    ("Samsung", "dishwasher"): [
        "DW80R5060US",
        "DW80K7050US",
        "DW80R9950US",
        "DW80N3030US",
        "DW80K5050US",
        "DW80R2031US",
        "DW80M9550US",
        "DW80F600UTS",
        "DW80J3020US",
        "DW80B6060US",
    ],
    ("LG", "refrigerator"): [
        "LRMVS3006S",
        "LFXS26973S",
        "LRFVS3006S",
        "LFX28968ST",
        "LRFXS2503S",
        "LMXS28626S",
        "LRFDS3006S",
        "LFCS22520S",
        "LRMXS2806S",
        "LTCS24223S",
    ],
    ("LG", "dishwasher"): [
        "LDF5545ST",
        "LDP6797ST",
        "LDFN4542S",
        "LDT7808SS",
        "LDP6810SS",
        "LDF7551ST",
        "LDFN3432T",
        "LDT5678ST",
        "LDF5678ST",
        "LDP6797BD",
    ],
    ("Bosch", "dishwasher"): [
        "SHEM63W55N",
        "SHX878WD5N",
        "SHPM88Z75N",
        "SHE3AR75UC",
        "SHXM78W55N",
        "SHSM63W55N",
        "SHP865WD5N",
        "SHE53T55UC",
        "SHX68T55UC",
        "SGE53X55UC",
    ],
}


def mpn_for(brand: str, appliance: str) -> str:
    fam = FAMILY[brand]
    if fam == "whirlpool":
        return rnd.choice(["WPW10", "W10", "WP"]) + f"{rnd.randint(100000, 999999)}"
    if fam == "ge":
        return ("WR" if appliance == "refrigerator" else "WD") + f"{rnd.randint(10, 99)}X{rnd.randint(10000, 29999)}"
    if fam == "frigidaire":
        return rnd.choice(["5304", "2421", "1540"]) + f"{rnd.randint(100000, 999999)}"
    if fam == "samsung":
        return (
            ("DA97-" if appliance == "refrigerator" else "DD82-") + f"{rnd.randint(10000, 19999)}" + rnd.choice("ABC")
        )
    if fam == "lg":
        return rnd.choice(["AEQ7", "ADQ7", "EBR8", "MJX4"]) + f"{rnd.randint(1000000, 9999999)}"
    return f"00{rnd.randint(100000, 799999)}"  # Bosch


def price_in(lo: int, hi: int) -> str:
    cents = rnd.choice([0.49, 0.79, 0.89, 0.95, 0.99, 0.29, 0.59])
    return str(Decimal(rnd.randint(lo, hi - 1)) + Decimal(str(cents)))


def main() -> None:
    symptoms = [
        {"slug": s, "name": n, "appliance_type": "refrigerator", "keywords": k} for s, n, k in FRIDGE_SYMPTOMS
    ] + [{"slug": s, "name": n, "appliance_type": "dishwasher", "keywords": k} for s, n, k in DISHWASHER_SYMPTOMS]

    models = []
    for (brand, appliance), numbers in MODELS.items():
        for number in numbers:
            models.append(
                {
                    "model_number": number,
                    "brand": brand,
                    "appliance_type": appliance,
                    "name": f"{brand} {'Refrigerator' if appliance == 'refrigerator' else 'Dishwasher'} {number}",
                }
            )
    models_by_family: dict[tuple[str, str], list[str]] = {}
    for m in models:
        models_by_family.setdefault((FAMILY[m["brand"]], m["appliance_type"]), []).append(m["model_number"])

    # Fixed seed examples (seeds/000): identifiers and facts that the docs and tests rely on.
    fixed = {
        ("Whirlpool", "Dishwasher Upper Rack Adjuster"): {
            "ps_number": "PS11750057",
            "manufacturer_part_number": "WPW10350376",
            "stock_quantity": 34,
            "backordered": False,
        },
        ("Whirlpool", "Dishwasher Drain Pump"): {
            "ps_number": "PS12584610",
            "manufacturer_part_number": "W10348269",
            "stock_quantity": 0,
            "backordered": True,
        },
        ("Whirlpool", "Refrigerator Door Shelf Bin"): {
            "ps_number": "PS11752778",
            "manufacturer_part_number": "WPW10321304",
            "stock_quantity": 57,
            "backordered": False,
        },
        ("Whirlpool", "Ice Maker Assembly"): {
            "ps_number": "PS11739119",
            "manufacturer_part_number": "WPW10190965",
            "stock_quantity": 12,
            "backordered": False,
        },
    }
    used_ps = {v["ps_number"] for v in fixed.values()}

    parts = []
    for appliance, brands, types in (
        ("refrigerator", FRIDGE_BRANDS, FRIDGE_PARTS),
        ("dishwasher", DISH_BRANDS, DISHWASHER_PARTS),
    ):
        for ptype in types:
            name, category, (lo, hi), difficulty, minutes, tools, steps, syms = ptype
            for brand in brands:
                f = fixed.get((brand, name), {})
                ps = f.get("ps_number")
                while ps is None or (ps in used_ps and not f):
                    ps = f"PS{rnd.randint(10000000, 17999999)}"
                used_ps.add(ps)
                roll = rnd.random()
                if roll < 0.10:
                    stock, backordered = 0, False
                elif roll < 0.15:
                    stock, backordered = 0, True
                else:
                    stock, backordered = (
                        rnd.choice([rnd.randint(1, 9), rnd.randint(10, 60), rnd.randint(60, 240)]),
                        False,
                    )
                if f:
                    stock, backordered = f["stock_quantity"], f["backordered"]
                mpn = f.get("manufacturer_part_number") or mpn_for(brand, appliance)
                appliance_word = "refrigerator" if appliance == "refrigerator" else "dishwasher"
                parts.append(
                    {
                        "ps_number": ps,
                        "manufacturer_part_number": mpn,
                        "name": name,
                        "description": (
                            f"Genuine {brand} OEM {name.lower()} (manufacturer part {mpn}). "
                            f"Replaces a worn or broken {category.lower().rstrip('s')} part in select {brand} {appliance_word} models; "
                            f"check your model number for an exact fit. Commonly fixes: "
                            + ", ".join(s.replace("-", " ") for s in syms[:3])
                            + "."
                        ),
                        "brand": brand,
                        "appliance_type": appliance,
                        "category": category,
                        "price": price_in(lo, hi),
                        "currency": "USD",
                        "stock_quantity": stock,
                        "backordered": backordered,
                        "is_active": True,
                        "image_url": image_url(appliance, category),
                        "rating": str(Decimal(rnd.randint(35, 50)) / 10),
                        "review_count": int(rnd.triangular(0, 480, 20)),
                        "install_steps": steps,
                        "install_difficulty": difficulty,
                        "install_time_minutes": minutes,
                        "install_tools": tools,
                        "symptoms": syms,
                    }
                )

    compatibility = []
    by_ps = {p["ps_number"]: p for p in parts}
    for p in parts:
        pool = models_by_family[(FAMILY[p["brand"]], p["appliance_type"])]
        own = [m for m in MODELS[(p["brand"], p["appliance_type"])]]
        k = rnd.randint(min(4, len(pool)), min(15, len(pool)))
        chosen = set(rnd.sample(own, min(len(own), max(2, k // 2))))
        chosen |= set(rnd.sample(pool, k - len(chosen))) if k > len(chosen) else set()
        for model in sorted(chosen):
            r = rnd.random()
            if r < 0.82 or model in own:
                conf, source = 1.0, "manufacturer"
            elif r < 0.95:
                conf, source = round(rnd.uniform(0.8, 0.95), 2), "cross_reference"
            else:
                conf, source = round(rnd.uniform(0.5, 0.75), 2), "customer_reported"
            compatibility.append(
                {"ps_number": p["ps_number"], "model_number": model, "confidence": conf, "source": source}
            )

    def force(ps: str, model: str, conf: float = 1.0, source: str = "manufacturer") -> None:
        for row in compatibility:
            if row["ps_number"] == ps and row["model_number"] == model:
                row["confidence"], row["source"] = conf, source
                return
        compatibility.append({"ps_number": ps, "model_number": model, "confidence": conf, "source": source})

    force("PS11750057", "WDT780SAEM1")
    force("PS12584610", "WDT780SAEM1")
    for model in ("WRS325SDHZ", "WRF555SDFZ", "WRS588FIHZ", "WRX735SDHZ", "WRF535SWHZ"):
        force("PS11752778", model)
        force("PS11739119", model)
    # Alternatives for the seed adjuster on WDT780SAEM1: the other Whirlpool-family adjusters.
    for p in parts:
        if (
            p["category"] == "Dishrack Adjusters"
            and FAMILY[p["brand"]] == "whirlpool"
            and p["ps_number"] != "PS11750057"
        ):
            force(
                p["ps_number"],
                "WDT780SAEM1",
                1.0 if p["brand"] == "Whirlpool" else 0.9,
                "manufacturer" if p["brand"] == "Whirlpool" else "cross_reference",
            )
    assert all(by_ps[r["ps_number"]] for r in compatibility)
    compatibility.sort(key=lambda r: (r["ps_number"], r["model_number"]))

    dump = {"ensure_ascii": False, "indent": 1}
    (OUT / "symptoms.json").write_text(json.dumps(symptoms, **dump) + "\n")
    (OUT / "appliance_models.json").write_text(json.dumps(models, **dump) + "\n")
    (OUT / "parts.json").write_text(json.dumps(parts, **dump) + "\n")
    with (OUT / "compatibility.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["ps_number", "model_number", "confidence", "source"])
        writer.writeheader()
        writer.writerows(compatibility)
    print(
        f"{len(parts)} parts, {len(models)} models, {len(compatibility)} compatibility rows, {len(symptoms)} symptoms"
    )


if __name__ == "__main__":
    main()
