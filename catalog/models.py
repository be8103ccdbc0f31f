from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Replace, Upper

from catalog.enums import Availability, Difficulty
from catalog.images import product_image_url_validate
from core.models import TimeStampedModel


class Symptom(TimeStampedModel):
    """A problem a customer describes ("ice maker not making ice"), per appliance type."""

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    appliance_type = models.CharField(max_length=40, db_index=True)
    keywords = models.JSONField(default=list, blank=True, help_text="Phrases customers use for this symptom.")

    class Meta:
        ordering = ["appliance_type", "name"]

    def __str__(self):
        return f"{self.name} ({self.appliance_type})"


class _Written(Value):
    """A constant written into the SQL rather than bound as a parameter. SQLite uses an
    expression index only for a query expression that is the index's own, literals included:
    with bound ones every tolerant model lookup scanned the table."""

    def as_sql(self, compiler, connection):
        quoted = str(self.value).replace("'", "''")
        return f"'{quoted}'", []


def model_number_key(expression=None, *, constant=_Written):
    """Upper-case model number without spaces, dashes or dots: what a lookup compares.

    The same expression backs a functional index, so tolerant lookups stay indexed (the index
    declares it with plain `Value`s, as its migration has it; the SQL is the same).
    """
    expression = expression if expression is not None else F("model_number")
    for char in ("-", " ", "."):
        expression = Replace(expression, constant(char), constant(""))
    return Upper(expression)


def active_stock_rank() -> Case:
    """1 for a part in stock, else 0: among active parts, the first key of "in stock first". It
    backs `catalog_product_rank_idx`, and only the walk of a symptom's best parts
    (`catalog.selectors`) orders by it, so no other query is planned as a walk of that index (an
    uncapped walk to a rare symptom's parts read half a million parts)."""
    return Case(When(stock_quantity__gt=0, then=Value(1)), default=Value(0), output_field=IntegerField())


class ApplianceModel(TimeStampedModel):
    model_number = models.CharField(max_length=64, unique=True)
    brand = models.CharField(max_length=80, db_index=True)
    appliance_type = models.CharField(max_length=40, db_index=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["model_number"]
        indexes = [models.Index(model_number_key(constant=Value), name="catalog_model_number_key_idx")]

    def __str__(self):
        return self.model_number


class Product(TimeStampedModel):
    """A sellable part. `ps_number` is its public identifier."""

    ps_number = models.CharField("PS number", max_length=32, unique=True)
    manufacturer_part_number = models.CharField(max_length=64, db_index=True, blank=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    brand = models.CharField(max_length=80, db_index=True)
    appliance_type = models.CharField(max_length=40, db_index=True)
    category = models.CharField(max_length=80, blank=True, db_index=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))])
    currency = models.CharField(max_length=3, default="USD")
    stock_quantity = models.PositiveIntegerField(default=0)
    backordered = models.BooleanField(default=False, help_text="Orderable from the supplier while stock is 0.")
    is_active = models.BooleanField(default=True)
    # An http(s) URL or a path on this site: the shipped demo pictures are /static/… paths.
    image_url = models.CharField(max_length=500, blank=True, validators=[product_image_url_validate])
    rating = models.DecimalField(
        max_digits=2,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("5"))],
    )
    review_count = models.PositiveIntegerField(default=0)
    install_steps = models.JSONField(default=list, blank=True)
    install_difficulty = models.CharField(max_length=20, choices=Difficulty.choices, blank=True)
    install_time_minutes = models.PositiveIntegerField(null=True, blank=True)
    install_tools = models.JSONField(default=list, blank=True)
    symptoms = models.ManyToManyField(Symptom, related_name="products", blank=True)
    compatible_models = models.ManyToManyField(ApplianceModel, through="Compatibility", related_name="parts")

    class Meta:
        ordering = ["ps_number"]
        indexes = [
            models.Index(fields=["appliance_type", "category"]),
            models.Index(Upper("ps_number"), name="catalog_ps_number_upper_idx"),
            models.Index(Upper("manufacturer_part_number"), name="catalog_mpn_upper_idx"),
            # Search asks MAX(updated_at) on every query to know its index is current.
            models.Index(fields=["updated_at"], name="catalog_product_updated_idx"),
            # The active parts in stock first, then best rated: walked for a symptom's best few
            # (catalog.selectors._symptom_parts_walked, whose order spells it the same way).
            models.Index(
                active_stock_rank().desc(),
                F("rating").desc(),
                F("ps_number"),
                name="catalog_product_rank_idx",
                condition=Q(is_active=True),
            ),
        ]

    def __str__(self):
        return f"{self.ps_number} {self.name}"

    @property
    def availability(self) -> str:
        if not self.is_active:
            return Availability.DISCONTINUED
        if self.stock_quantity > 0:
            return Availability.IN_STOCK
        return Availability.BACKORDERED if self.backordered else Availability.OUT_OF_STOCK

    @property
    def in_stock(self) -> bool:
        return self.is_active and self.stock_quantity > 0


class Compatibility(TimeStampedModel):
    """Part fits model, with how sure the shop is (1.0 = confirmed by the manufacturer)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="compatibilities")
    appliance_model = models.ForeignKey(ApplianceModel, on_delete=models.CASCADE, related_name="compatibilities")
    confidence = models.FloatField(default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    source = models.CharField(max_length=40, default="manufacturer", blank=True)

    class Meta:
        verbose_name_plural = "compatibilities"
        constraints = [
            models.UniqueConstraint(fields=["product", "appliance_model"], name="compatibility_unique_pair"),
        ]

    def __str__(self):
        return f"{self.product_id} ~ {self.appliance_model_id} ({self.confidence:.2f})"


# Semantic search vectors live with the search code (catalog/search/models.py).
from catalog.search.models import ProductEmbedding  # noqa: E402, F401
