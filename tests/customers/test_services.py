import pytest

from encaisse.audit.services import trail
from encaisse.companies.models import Role
from encaisse.customers.models import Customer
from encaisse.customers.services import add_contact, create_customer, search, update_customer
from encaisse.errors import Forbidden, NotFound, ValidationFailed
from tests.conftest import CUSTOMER


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"siren": "552100555"}, "invalid_siren", "siren"),
        ({"siret": "55210055400014"}, "invalid_siret", "siret"),
        ({"siret": "73282932000074"}, "siret_siren_mismatch", "siret"),
        ({"vat_number": "FR00552100554"}, "invalid_vat_number", "vat_number"),
        ({"vat_number": "FR44732829320"}, "vat_siren_mismatch", "vat_number"),
        ({"legal_name": " "}, "required", "legal_name"),
        ({"terms_kind": "net", "terms_days": 75}, "terms_exceed_legal_cap", "terms_days"),
        ({"kind": "consumer"}, "consumer_with_siren", "siren"),
    ],
)
def test_bad_identifiers_are_refused_and_nothing_is_created(company, admin, data, code, field):
    with pytest.raises(ValidationFailed) as error:
        create_customer(company, {**CUSTOMER, **data}, by=admin)
    assert (error.value.code, error.value.field) == (code, field)
    assert not Customer.objects.exists()


def test_identifiers_are_normalized_and_siren_taken_from_siret(company, admin):
    customer = create_customer(
        company,
        {
            "legal_name": "Garage du Centre",
            "siret": "552 100 554 00013",
            "vat_number": "fr 96 552100554",
        },
        by=admin,
    )
    assert (customer.siren, customer.siret, customer.vat_number) == (
        "552100554",
        "55210055400013",
        "FR96552100554",
    )


def test_second_customer_with_the_same_siren_is_refused_naming_the_first(customer, company, admin):
    with pytest.raises(ValidationFailed) as error:
        create_customer(company, {"legal_name": "Doublon", "siren": "552100554"}, by=admin)
    assert error.value.code == "duplicate_siren"
    assert "Boulangerie Dupont SARL" in error.value.message
    assert Customer.objects.count() == 1


def test_same_siren_is_allowed_in_another_company(customer, other_company, make_user):
    owner = make_user("other", other_company)
    assert create_customer(other_company, CUSTOMER, by=owner).siren == customer.siren


def test_search_by_name_siren_siret_and_city(company, admin, customer):
    other = create_customer(
        company, {"legal_name": "Mairie de Villeurbanne", "billing_city": "Villeurbanne"}, by=admin
    )
    assert list(search(company, "dupont")) == [customer]
    assert list(search(company, "552 100")) == [customer]
    assert list(search(company, "55210055400013")) == [customer]
    assert list(search(company, "villeur")) == [other]
    assert set(search(company, "")) == {customer, other}


def test_update_is_audited_with_the_changes(customer, admin):
    update_customer(customer, {"billing_city": "Villeurbanne", "notes": "Client fidèle"}, by=admin)
    entry = trail(customer).first()
    assert entry.action == "customer.updated"
    assert entry.actor == admin
    assert entry.changes == {
        "billing_city": ["Lyon", "Villeurbanne"],
        "notes": ["", "Client fidèle"],
    }


def test_update_refusal_changes_nothing(customer, admin):
    with pytest.raises(ValidationFailed):
        update_customer(customer, {"billing_city": "Paris", "siren": "123"}, by=admin)
    customer.refresh_from_db()
    assert customer.billing_city == "Lyon"


def test_contacts(customer, admin):
    contact = add_contact(
        customer,
        {"name": "Paul Dupont", "email": "compta@dupont.fr", "is_billing_contact": True},
        by=admin,
    )
    assert list(customer.contacts.all()) == [contact]
    with pytest.raises(ValidationFailed):
        add_contact(customer, {"name": ""}, by=admin)


def test_roles_and_isolation(customer, company, other_company, make_user):
    reader = make_user("lecteur", company, Role.READ_ONLY)
    with pytest.raises(Forbidden):
        update_customer(customer, {"notes": "x"}, by=reader)
    collector = make_user("recouvreur", company, Role.COLLECTION)
    update_customer(customer, {"notes": "Appelé le 3"}, by=collector)
    outsider = make_user("outsider", other_company)
    with pytest.raises(NotFound):
        update_customer(customer, {"notes": "x"}, by=outsider)


def test_salesperson_segment_and_risk_class(customer, company, admin, make_user, other_company):
    seller = make_user("vendeuse", company, Role.SALES)
    update_customer(
        customer, {"salesperson": seller.pk, "segment": "strategic", "risk_class": "B"}, by=admin
    )
    customer.refresh_from_db()
    assert (customer.salesperson, customer.segment, customer.risk_class) == (
        seller,
        "strategic",
        "B",
    )
    outsider = make_user("ailleurs", other_company, Role.SALES)
    with pytest.raises(ValidationFailed) as error:
        update_customer(customer, {"salesperson": outsider.pk}, by=admin)
    assert error.value.field == "salesperson"
    with pytest.raises(ValidationFailed):
        update_customer(customer, {"segment": "vip"}, by=admin)
    customer.refresh_from_db()
    assert customer.salesperson == seller


def test_foreign_customer_with_a_vat_number_and_no_siren(company, admin):
    customer = create_customer(
        company,
        {"legal_name": "Bakkerij Janssens BV", "vat_number": "be 0403.170.701"},
        by=admin,
    )
    assert (customer.siren, customer.vat_number) == ("", "BE0403170701")


def test_a_contact_person_has_civility_first_and_last_names(customer, admin):
    contact = add_contact(
        customer,
        {"civility": "Madame", "first_name": "  Anne  Sophie ", "last_name": "Le Gall"},
        by=admin,
    )
    assert (contact.civility, contact.first_name, contact.last_name, contact.name) == (
        "madame",
        "Anne Sophie",
        "Le Gall",
        "Anne Sophie Le Gall",
    )
    assert contact.greeting == "Bonjour Madame Le Gall,"
    # A civility without a last name: still polite, without a name.
    assert add_contact(
        customer, {"civility": "monsieur", "name": "Direction"}, by=admin
    ).greeting == ("Bonjour Monsieur,")
    assert add_contact(customer, {"name": "Service comptable"}, by=admin).greeting == "Bonjour,"


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"civility": "docteur", "last_name": "Martin"}, "invalid_civility", "civility"),
        ({"first_name": "A" * 91, "last_name": "Martin"}, "too_long", "first_name"),
        ({"last_name": "M" * 101}, "too_long", "last_name"),
        ({"name": "N" * 201}, "too_long", "name"),
        ({"first_name": "Anne", "last_name": "  "}, "required", "last_name"),
    ],
)
def test_a_bad_contact_is_refused_on_its_field(customer, admin, data, code, field):
    with pytest.raises(ValidationFailed) as error:
        add_contact(customer, data, by=admin)
    assert (error.value.code, error.value.field) == (code, field)
    assert not customer.contacts.exists()
