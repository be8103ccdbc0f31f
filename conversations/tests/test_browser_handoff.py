"""A person takes over, in real browsers: Chromium against Daphne, under the real CSP.

The customer (one browser context) asks for a person and presses "Talk to a person"; an operator
(a second context, signed in as staff, using the operator API with their session) claims the
conversation, types and answers; the customer sees who they are talking to, the typing line and
the named reply, and answers; the operator resolves; the assistant answers again; the customer
rates the help. The inbox page itself is `inbox`'s; this drives the API it is built on.
"""

import pytest

from conversations.tests.browser import (
    STAFF_PASSWORD,
    chromium,
    expect,
    new_context,
    screenshot,
    staff_login,
    watch_problems,
)
from core.testing.live import LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture(scope="module")
def stack():
    # Someone is always there (the default shop hours would make the test depend on the clock).
    with LiveStack(database="sqlite", extra_env={"PARLEY_SHOP_HOURS": ""}) as live:
        live.run_manage(
            "shell",
            "-v",
            "0",
            "-c",
            "from django.contrib.auth import get_user_model; U = get_user_model(); "
            f"U.objects.create_user('dana', password={STAFF_PASSWORD!r}, is_staff=True, first_name='Dana')",
        )
        yield live


@pytest.fixture(scope="module")
def browser(stack):
    with chromium() as browser:
        yield browser


class Operator:
    """The operator's browser context: a staff session, calling the operator API like the inbox."""

    def __init__(self, browser, stack):
        self.stack = stack
        self.context = new_context(browser)
        self.page = self.context.new_page()
        staff_login(self.page, stack, "dana", "/admin/")
        self.page.wait_for_url("**/admin/")

    def _headers(self):
        csrf = next(c["value"] for c in self.context.cookies() if c["name"] == "csrftoken")
        return {"X-CSRFToken": csrf, "Referer": self.stack.url("/admin/")}

    def get(self, path):
        response = self.context.request.get(self.stack.url(path))
        assert response.ok, (path, response.status, response.text())
        return response.json()

    def post(self, path, data=None):
        response = self.context.request.post(self.stack.url(path), data=data or {}, headers=self._headers())
        assert response.ok, (path, response.status, response.text())
        return response.json() if response.status != 204 else None


def test_a_person_takes_over_answers_resolves_and_is_rated(browser, stack):
    customer_context = new_context(browser)
    customer = customer_context.page = customer_context.new_page()
    problems = watch_problems(customer)
    customer.goto(stack.url("/"))
    expect()(customer.locator(".chat-connection")).to_have_text("Online", timeout=15000)

    # The customer asks for a person; the assistant offers the button; pressing it asks the team.
    customer.fill(".chat-composer__input", "Can I talk to a human please?")
    customer.keyboard.press("Enter")
    button = customer.get_by_role("button", name="Talk to a person")
    expect()(button).to_be_visible(timeout=15000)
    button.click()
    banner = customer.locator(".chat-handoff__text")
    expect()(banner).to_have_text("Waiting for a person from our team to join…", timeout=10000)

    operator = Operator(browser, stack)
    waiting = operator.get("/api/operator/conversations?view=waiting")["conversations"]
    assert len(waiting) == 1
    conversation_id = waiting[0]["id"]
    base = f"/api/operator/conversations/{conversation_id}"

    # The operator claims it and types: the customer sees who they are talking to, typing.
    assert operator.post(f"{base}/claim")["handoff"]["assignee"]["name"] == "Dana"
    expect()(banner).to_have_text("You're talking to Dana from our team.", timeout=10000)
    operator.post(f"{base}/typing", {"active": True})
    expect()(customer.locator(".chat-typing__text")).to_have_text("Dana is typing…", timeout=10000)
    expect()(customer.locator(".chat-typing")).to_be_visible()
    asked = [m for m in operator.get(base)["messages"] if m["role"] == "user"][-1]
    operator.post(f"{base}/messages", {"content": "Hi, I'm Dana. How can I help?", "reply_to": asked["id"]})
    reply = customer.locator(".msg--operator").last
    expect()(reply).to_contain_text("Hi, I'm Dana. How can I help?", timeout=10000)
    expect()(reply.locator(".msg__badge")).to_have_text("Dana · Team member")
    screenshot(customer, "handoff-operator-reply")

    # The customer answers; the operator gets it; the assistant says nothing.
    customer.fill(".chat-composer__input", "My fridge water filter leaks after I changed it.")
    customer.keyboard.press("Enter")
    for _ in range(50):
        said = [m["content"] for m in operator.get(base)["messages"] if m["role"] == "user"]
        if said and said[-1].startswith("My fridge water filter leaks"):
            break
        customer.wait_for_timeout(100)
    else:
        raise AssertionError("the operator never saw the customer's answer")
    # The assistant's last word is its answer to the request for a person (the offer), nothing since.
    assistant = [m["seq"] for m in operator.get(base)["messages"] if m["role"] == "assistant"]
    assert assistant[-1] == asked["seq"] + 1
    operator.post(f"{base}/messages", {"content": "Push the filter in until it clicks; that stops the leak."})
    expect()(customer.locator(".msg--operator")).to_have_count(2, timeout=10000)

    # Resolved: the banner goes, the rating prompt comes, and the assistant answers again.
    operator.post(f"{base}/resolve")
    expect()(customer.locator(".chat-handoff")).to_be_hidden(timeout=10000)
    expect()(customer.locator(".chat-rating")).to_be_visible(timeout=10000)
    customer.fill(".chat-composer__input", "Is PS11750057 compatible with my WDT780SAEM1?")
    customer.keyboard.press("Enter")
    answer = customer.locator(".msg--assistant").last
    expect()(answer).to_contain_text("PS11750057", timeout=15000)

    customer.get_by_role("button", name="5 of 5").click()
    customer.fill(".chat-rating__comment", "Quick and kind.")
    customer.get_by_role("button", name="Send rating").click()
    expect()(customer.locator(".chat-rating__thanks")).to_have_text("Thanks for your rating!", timeout=10000)
    screenshot(customer, "handoff-rated")
    handoff = operator.get(base)["handoff"]
    assert (handoff["state"], handoff["rating"], handoff["ratingComment"]) == ("resolved", 5, "Quick and kind.")
    assert handoff["operator"]["name"] == "Dana" and handoff["firstResponseAt"]

    operator.context.close()
    customer_context.close()
    assert problems == [], problems
