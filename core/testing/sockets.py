"""What a WebSocket frame caused, read in tests through Channels' communicator."""

import json


async def frame_effects(ws, frame):
    """Send the frame, then a ping; every event before the pong is what the frame caused.

    A close instead of an event fails the test: the socket must stay open whatever it is sent.
    """
    if isinstance(frame, bytes):
        await ws.send_to(bytes_data=frame)
    else:
        await ws.send_to(text_data=frame)
    await ws.send_json_to({"type": "ping"})
    events = []
    while True:
        output = await ws.receive_output(timeout=60)
        assert output["type"] == "websocket.send", output  # a close would be the socket lost
        event = json.loads(output["text"])
        if event["type"] == "pong":
            return events
        events.append(event)
