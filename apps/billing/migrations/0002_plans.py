"""The plans on sale. Prices are in cents per seat per month. Re-running changes nothing; to change a
price later, add a migration (or edit it in the platform admin)."""

from django.db import migrations

PLANS = [
    {
        "code": "starter",
        "name": "Starter",
        "price_per_seat_cents": 1500,
        "currency": "usd",
        "trial_days": 14,
        "trial_seats": 3,
        "sort_order": 1,
        "features": ["chat", "email", "widget", "callback", "journey", "reports"],
    },
    {
        "code": "pro",
        "name": "Pro",
        "price_per_seat_cents": 3500,
        "currency": "usd",
        "trial_days": 14,
        "trial_seats": 5,
        "sort_order": 2,
        "features": [
            "chat",
            "email",
            "widget",
            "callback",
            "journey",
            "reports",
            "voice",
            "video",
            "screen_share",
            "recording",
            "scorecards",
            "wfm",
        ],
    },
]


def add_plans(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for data in PLANS:
        Plan.objects.get_or_create(code=data["code"], defaults=data)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(add_plans, migrations.RunPython.noop)]
