"""Server-rendered pages of the chat: the page is a shell, chat.js talks to the API and the socket."""

from django.conf import settings
from django.views.generic import TemplateView

# The parts shop's examples; another shop sets PARLEY_CHAT_EXAMPLES to its own questions.
DEFAULT_EXAMPLE_QUESTIONS = (
    "Is PS11750057 compatible with my WDT780SAEM1?",
    "How can I install part number PS11752778?",
    "Is PS12584610 in stock?",
)

# Where chat.js finds the API; handed over as data attributes so the script holds no paths.
CHAT_ENDPOINTS = {
    "conversations": "/api/chat/conversations",
    "checkout": "/api/checkout/session",
    "alternatives": "/api/chat/actions/alternatives",
    "back_in_stock": "/api/alerts/back-in-stock",
}


class ChatPageView(TemplateView):
    template_name = "chat/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            shop_name=settings.PARLEY_SHOP_NAME,
            example_questions=getattr(settings, "PARLEY_CHAT_EXAMPLES", DEFAULT_EXAMPLE_QUESTIONS),
            message_max_length=getattr(settings, "PARLEY_MESSAGE_MAX_LENGTH", 2000),
            endpoints=CHAT_ENDPOINTS,
        )
        return context
