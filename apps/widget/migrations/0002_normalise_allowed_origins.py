"""Store every widget key's allowed origins normalised (scheme://host[:port], lower case, no path or
trailing slash), as the settings now do: "http://127.0.0.1:9100/" was stored as typed and the widget
never connected from that page. An origin that cannot be normalised is kept as it was (the settings
page shows it and asks for a valid one on the next save)."""

from django.db import migrations


def normalise(apps, schema_editor):
    from apps.widget.origins import OriginInvalid, normalise_origin

    WidgetKey = apps.get_model("widget", "WidgetKey")
    for wk in WidgetKey.objects.all():
        cleaned = []
        for origin in wk.allowed_origins:
            try:
                value = normalise_origin(origin)
            except OriginInvalid:
                value = origin
            if value not in cleaned:
                cleaned.append(value)
        if cleaned != wk.allowed_origins:
            wk.allowed_origins = cleaned
            wk.save(update_fields=["allowed_origins"])


class Migration(migrations.Migration):
    dependencies = [("widget", "0001_initial")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
