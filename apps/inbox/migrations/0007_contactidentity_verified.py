"""Contact identities say whether they were proven (issue 11: an email typed into the widget must not
claim another customer's contact). Existing identities that came from a signed identity token (the
customer id and, on the same contact, its email and phone) and the visitor ids we issued are verified;
the rest (emails typed into the pre-chat form) are not, and stop finding contacts."""

from django.db import migrations, models


def mark_verified(apps, schema_editor):  # type: ignore[no-untyped-def]
    ContactIdentity = apps.get_model("inbox", "ContactIdentity")
    ContactIdentity.objects.filter(kind__in=["external", "visitor"]).update(verified=True)
    signed_contacts = ContactIdentity.objects.filter(kind="external").values("contact_id")
    ContactIdentity.objects.filter(kind__in=["email", "phone"], contact_id__in=signed_contacts).update(verified=True)


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0006_interaction_agent_read_seq"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactidentity",
            name="verified",
            field=models.BooleanField(default=False, verbose_name="verified"),
        ),
        migrations.RunPython(mark_verified, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="contactidentity", name="identity_once"),
        migrations.AddConstraint(
            model_name="contactidentity",
            constraint=models.UniqueConstraint(
                condition=models.Q(("verified", True)), fields=("kind", "value"), name="verified_identity_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="contactidentity",
            constraint=models.UniqueConstraint(fields=("contact", "kind", "value"), name="identity_once_per_contact"),
        ),
    ]
