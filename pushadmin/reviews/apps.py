from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "pushadmin.reviews"
    label = "reviews"
