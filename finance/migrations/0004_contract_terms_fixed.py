"""The database refuses to change or delete signed contract terms (finance.triggers)."""

from django.db import migrations

from finance.triggers import operations


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_contract_terms")]

    operations = operations("finance_contractterms", "finance_terms")
