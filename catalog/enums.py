from django.db import models


class Availability(models.TextChoices):
    IN_STOCK = "in_stock", "In stock"
    OUT_OF_STOCK = "out_of_stock", "Out of stock"
    BACKORDERED = "backordered", "Backordered"
    DISCONTINUED = "discontinued", "Discontinued"


class Difficulty(models.TextChoices):
    REALLY_EASY = "really_easy", "Really easy"
    EASY = "easy", "Easy"
    MODERATE = "moderate", "Moderate"
    DIFFICULT = "difficult", "Difficult"


class CompatibilityLevel(models.TextChoices):
    YES = "yes", "Compatible"
    NO = "no", "Not compatible"
    UNKNOWN = "unknown", "Unknown"
