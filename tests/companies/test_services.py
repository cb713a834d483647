import pytest

from encaisse.companies.models import Company, Role
from encaisse.companies.permissions import can
from encaisse.companies.services import add_member, create_company, update_company
from encaisse.errors import Forbidden, ValidationFailed
from tests.conftest import SELLER


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"siren": "732829321"}, "invalid_siren"),
        ({"iban": "FR7630006000011234567890180"}, "invalid_iban"),
        ({"bic": "XX"}, "invalid_bic"),
        ({"invoice_prefix": "FA 2026"}, "invalid_prefix"),
        ({"credit_note_prefix": "FA"}, "same_prefix"),
    ],
)
def test_bad_company_data_is_refused(db, data, code):
    with pytest.raises(ValidationFailed) as error:
        create_company({**SELLER, **data})
    assert error.value.code == code
    assert not Company.objects.exists()


def test_role_matrix(company, make_user):
    expectations = {
        Role.ADMIN: {"invoices.issue": True, "credit_notes.issue": True, "company.edit": True},
        Role.SALES: {"invoices.issue": True, "credit_notes.issue": False, "company.edit": False},
        Role.ACCOUNTING: {
            "invoices.issue": True,
            "credit_notes.issue": True,
            "company.edit": False,
        },
        Role.COLLECTION: {"invoices.issue": False, "customers.edit": True},
        Role.READ_ONLY: {"invoices.issue": False, "customers.edit": False, "view": True},
    }
    for role, rights in expectations.items():
        user = make_user(f"u-{role}", company, role)
        for action, allowed in rights.items():
            assert can(user, company, action) is allowed, (role, action)


def test_only_admins_edit_the_company(company, admin, make_user):
    accountant = make_user("compta", company, Role.ACCOUNTING)
    with pytest.raises(Forbidden):
        update_company(company, {"rcs_city": "Paris"}, by=accountant)
    update_company(company, {"rcs_city": "Paris"}, by=admin)
    company.refresh_from_db()
    assert company.rcs_city == "Paris"


def test_add_member_rejects_unknown_role(company, make_user):
    with pytest.raises(ValidationFailed):
        add_member(company, make_user("x"), "boss")
