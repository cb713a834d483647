from decimal import Decimal

import pytest

from encaisse.catalog.models import Product
from encaisse.catalog.services import create_product, update_product
from encaisse.errors import ValidationFailed

BASE = {"reference": "FOUR-01", "label": "Four à sole", "kind": "goods", "unit_price": "8900"}


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"vat_rate": "19.6"}, "invalid_vat_rate", "vat_rate"),
        ({"vat_rate": "0"}, "vat_exemption_required", "vat_exemption"),
        ({"unit_price": "-1"}, "negative", "unit_price"),
        ({"unit_price": "12,3456789"}, "too_many_decimals", "unit_price"),
        ({"kind": ""}, "invalid_kind", "kind"),
        ({"reference": ""}, "required", "reference"),
    ],
)
def test_bad_products_are_refused(company, admin, data, code, field):
    with pytest.raises(ValidationFailed) as error:
        create_product(company, {**BASE, **data}, by=admin)
    assert (error.value.code, error.value.field) == (code, field)
    assert not Product.objects.exists()


def test_exempt_product_gets_the_usual_reason(company, admin):
    training = create_product(
        company, {**BASE, "kind": "service", "vat_rate": "0", "vat_exemption": "E"}, by=admin
    )
    assert training.vat_exemption_reason == "Exonération de TVA, article 261 du CGI"


def test_taxed_product_drops_an_exemption(company, admin):
    product = create_product(
        company, {**BASE, "vat_rate": "5.5", "vat_exemption": "E", "unit_price": "12,50"}, by=admin
    )
    assert (product.vat_rate, product.vat_exemption, product.unit_price) == (
        Decimal("5.50"),
        "",
        Decimal("12.50"),
    )


def test_duplicate_reference_refused_and_update(company, admin):
    product = create_product(company, BASE, by=admin)
    with pytest.raises(ValidationFailed, match="existe déjà"):
        create_product(company, BASE, by=admin)
    update_product(product, {"unit_price": "9100"}, by=admin)
    product.refresh_from_db()
    assert product.unit_price == Decimal("9100")
