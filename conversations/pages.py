"""Server-rendered pages of the chat: the page and the widget are shells, chat-core.js talks to
the API and the socket. Also the widget's configuration and a demo product page that embeds it."""

from django.conf import settings
from django.http import Http404, JsonResponse
from django.templatetags.static import static
from django.views import View
from django.views.generic import TemplateView

from catalog.enums import Availability
from catalog.selectors import product_sellable_get
from catalog.serializers import product_card

# The parts shop's examples; another shop sets PARLEY_CHAT_EXAMPLES to its own questions.
DEFAULT_EXAMPLE_QUESTIONS = (
    "Is PS11750057 compatible with my WDT780SAEM1?",
    "How can I install part number PS11752778?",
    "Is PS12584610 in stock?",
)
# On a product page (the widget with a page context): questions about that product. A question
# is offered only when the page gives every field it names; another shop sets its own.
DEFAULT_PRODUCT_EXAMPLE_QUESTIONS = (
    "Is {psNumber} compatible with my {modelNumber}?",
    "How do I install {psNumber}?",
    "Is {psNumber} in stock?",
)
WELCOME_TITLE = "Hi! How can we help?"
WELCOME_TEXT = "Ask about a part or your appliance's model number: fit, installation, price and stock. For example:"
CONTEXT_FIELDS = ("psNumber", "modelNumber", "applianceType")

# Where chat-core.js finds the API; handed over as data attributes so the script holds no paths.
CHAT_ENDPOINTS = {
    "conversations": "/api/chat/conversations",
    "checkout": "/api/checkout/session",
    "alternatives": "/api/chat/actions/alternatives",
    "back_in_stock": "/api/alerts/back-in-stock",
}


def chat_settings() -> dict:
    """What the chat's script is told by the page (data attributes) and the widget (its config):
    how prices read (the same settings as core.money.money_display) and how long a browser
    resumes a conversation."""
    return {
        "locale": settings.PARLEY_LOCALE,
        "currency": settings.PARLEY_CURRENCY,
        "resumeHours": settings.PARLEY_CHAT_RESUME_HOURS,
    }


def example_questions(context: dict | None = None, limit: int = 3) -> list[str]:
    """The welcome's example questions: about the page's product first, then the shop's own."""
    context = {key: value for key, value in (context or {}).items() if value}
    questions: list[str] = []
    for template in getattr(settings, "PARLEY_CHAT_PRODUCT_EXAMPLES", DEFAULT_PRODUCT_EXAMPLE_QUESTIONS):
        try:
            question = template.format(**context)
        except (KeyError, IndexError, ValueError):
            continue  # the page does not give what this question needs
        questions.append(question)
    for question in getattr(settings, "PARLEY_CHAT_EXAMPLES", DEFAULT_EXAMPLE_QUESTIONS):
        if question not in questions:
            questions.append(question)
    return questions[:limit]


class ChatPageView(TemplateView):
    template_name = "chat/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            shop_name=settings.PARLEY_SHOP_NAME,
            example_questions=getattr(settings, "PARLEY_CHAT_EXAMPLES", DEFAULT_EXAMPLE_QUESTIONS),
            message_max_length=getattr(settings, "PARLEY_MESSAGE_MAX_LENGTH", 2000),
            endpoints=CHAT_ENDPOINTS,
            chat_settings=chat_settings(),
        )
        return context


class WidgetConfigView(View):
    """What widget.js needs to draw the chat: shop name, welcome, examples for the page's
    product, limits, endpoints. Public (CORS for the embed origins, core/cors.py), cacheable."""

    def get(self, request):
        page = {field: request.GET.get(field, "").strip()[:64] for field in CONTEXT_FIELDS}
        body = {
            "shopName": settings.PARLEY_SHOP_NAME,
            "welcomeTitle": WELCOME_TITLE,
            "welcomeText": WELCOME_TEXT,
            "examples": example_questions(page),
            "maxLength": getattr(settings, "PARLEY_MESSAGE_MAX_LENGTH", 2000),
            **chat_settings(),
            "endpoints": {
                "conversations": CHAT_ENDPOINTS["conversations"],
                "checkout": CHAT_ENDPOINTS["checkout"],
                "alternatives": CHAT_ENDPOINTS["alternatives"],
                "backInStock": CHAT_ENDPOINTS["back_in_stock"],
            },
        }
        response = JsonResponse(body)
        response["Cache-Control"] = "public, max-age=300"
        return response


class DemoProductPageView(TemplateView):
    """A shop's product page as a shop would write it, embedding the widget with one script tag.
    `?model=WDT780SAEM1` plays a shopper who has told the shop their appliance's model."""

    template_name = "demo/product.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        product = product_sellable_get(ps_number=kwargs["ps_number"])
        if product is None:
            raise Http404("No such part.")
        card = product_card(product)
        context.update(
            shop_name=settings.PARLEY_SHOP_NAME,
            product=product,
            card=card,
            availability_label=Availability(card["availability"]).label,
            model_number=self.request.GET.get("model", "").strip()[:64],
            page_url=self.request.build_absolute_uri(self.request.path),
            widget_src=static("parley/widget.js"),
        )
        return context
