from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from encaisse.sales.models import DocumentKind

from .views import bank_accounts as bank_account_views
from .views import bank_import as bank_import_views
from .views import bank_review as bank_review_views
from .views import base, company, credit, customers, invoices, payments, pickers, products, reports
from .views import collection_file as collection_file_views
from .views import disputes as dispute_views
from .views import dunning as dunning_views
from .views import einvoicing as einvoicing_views
from .views import jobs as job_views
from .views import litigation as litigation_views
from .views import mailing as mailing_views
from .views import penalty_claims as penalty_claim_views

app_name = "web"
CREDIT_NOTES = {"default_kind": DocumentKind.CREDIT_NOTE}

urlpatterns = [
    path("", base.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page links: the SVG icon.
    path("favicon.ico", RedirectView.as_view(url=static("encaisse/favicon.svg")), name="favicon"),
    path("login/", base.LoginView.as_view(), name="login"),
    path("logout/", base.LogoutView.as_view(), name="logout"),
    path("company/switch/", base.switch_company, name="switch_company"),
    path("company/", company.company_settings, name="company_settings"),
    path("customers/", customers.customer_list, name="customers"),
    path("customers/export.xlsx", customers.customer_export, name="customer_export"),
    path("customers/new/", customers.customer_create, name="customer_create"),
    path("customers/search/", pickers.customer_search, name="customer_search"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/contacts/", customers.contact_add, name="contact_add"),
    path(
        "customers/<int:pk>/contacts/<int:contact_pk>/remove/",
        customers.contact_remove,
        name="contact_remove",
    ),
    path("products/", products.product_list, name="products"),
    path("products/export.xlsx", products.product_export, name="product_export"),
    path("products/new/", products.product_create, name="product_create"),
    path("products/search/", pickers.product_search, name="product_search"),
    path("products/<int:pk>/", products.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", products.product_edit, name="product_edit"),
    path("invoices/", invoices.invoice_list, name="invoices"),
    path("invoices/export.xlsx", invoices.invoice_export, name="invoice_export"),
    path(
        "invoices/issue-selected/",
        invoices.invoice_issue_selected,
        name="invoice_issue_selected",
    ),
    path("invoices/new/", invoices.invoice_create, name="invoice_create"),
    path("invoices/lines/", invoices.invoice_lines, name="invoice_lines"),
    path("invoices/schedule/", invoices.invoice_schedule, name="invoice_schedule"),
    path("invoices/totals/", invoices.invoice_totals, name="invoice_totals"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/edit/", invoices.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/issue/", invoices.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/delete/", invoices.invoice_delete, name="invoice_delete"),
    path("invoices/<int:pk>/credit-note/", invoices.credit_note_create, name="credit_note_create"),
    path(
        "invoices/<int:pk>/penalties/invoice/",
        penalty_claim_views.penalty_invoice,
        name="penalty_invoice",
    ),
    path(
        "invoices/<int:pk>/penalties/waive/",
        penalty_claim_views.penalty_waiver,
        name="penalty_waiver",
    ),
    path("invoices/<int:pk>/files/", invoices.invoice_files, name="invoice_files"),
    path(
        "invoices/<int:pk>/documents/<slug:format>/",
        invoices.invoice_document,
        name="invoice_document",
    ),
    path("credit-notes/", invoices.invoice_list, CREDIT_NOTES, name="credit_notes"),
    path(
        "credit-notes/export.xlsx",
        invoices.invoice_export,
        CREDIT_NOTES,
        name="credit_note_export",
    ),
    path("customers/<int:pk>/account/", reports.customer_statement, name="customer_statement"),
    path(
        "customers/<int:pk>/account/export.xlsx",
        reports.customer_statement_export,
        name="customer_statement_export",
    ),
    path(
        "customers/<int:pk>/account/statement.pdf",
        reports.customer_statement_pdf,
        name="customer_statement_pdf",
    ),
    path("payments/", payments.payment_list, name="payments"),
    path("payments/export.xlsx", payments.payment_export, name="payment_export"),
    path("payments/new/", payments.payment_create, name="payment_create"),
    path("payments/<int:pk>/", payments.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/allocate/", payments.payment_allocate, name="payment_allocate"),
    path(
        "payments/<int:pk>/allocate/summary/",
        payments.payment_allocate_summary,
        name="payment_allocate_summary",
    ),
    path("payments/<int:pk>/refund/", payments.payment_refund, name="payment_refund"),
    path(
        "payments/<int:pk>/write-off/<int:installment_pk>/",
        payments.payment_write_off,
        name="payment_write_off",
    ),
    path("allocations/<int:pk>/undo/", payments.allocation_undo, name="allocation_undo"),
    path("remittances/", payments.remittance_list, name="remittances"),
    path("remittances/<int:pk>/", payments.remittance_detail, name="remittance_detail"),
    path("remittances/<int:pk>/slip.pdf", payments.remittance_pdf, name="remittance_pdf"),
    path("reports/aged-balance/", reports.aged_balance_view, name="aged_balance"),
    path("reports/aged-balance/items/", reports.aged_balance_items, name="aged_balance_items"),
    path(
        "reports/aged-balance/export.<str:fmt>",
        reports.aged_balance_export,
        name="aged_balance_export",
    ),
    path("reports/dso/", reports.dso_view, name="dso"),
    path("ledger/fec/", reports.fec_list, name="fec"),
    path("ledger/fec/<int:year>/", reports.fec_download, name="fec_download"),
]

# Sending by email and the e-invoicing lifecycle.
urlpatterns += [
    path("invoices/<int:pk>/send/", mailing_views.invoice_send, name="invoice_send"),
    path("customers/<int:pk>/account/send/", mailing_views.statement_send, name="statement_send"),
    path("invoices/send-today/", mailing_views.send_today, name="send_today"),
    path("outbox/", mailing_views.outbox_list, name="outbox"),
    path("outbox/<int:pk>/retry/", mailing_views.outbox_retry, name="outbox_retry"),
    path("invoices/<int:pk>/lifecycle/", einvoicing_views.invoice_status, name="invoice_status"),
    path("invoices/lifecycle/import/", einvoicing_views.status_import, name="status_import"),
]

# Disputes (litiges) and promises to pay.
urlpatterns += [
    path("disputes/", dispute_views.dispute_list, name="disputes"),
    path("disputes/export.xlsx", dispute_views.dispute_export, name="dispute_export"),
    path("disputes/escalate/", dispute_views.dispute_escalate, name="dispute_escalate"),
    path("disputes/<int:pk>/", dispute_views.dispute_detail, name="dispute_detail"),
    path("disputes/<int:pk>/resolve/", dispute_views.dispute_resolve, name="dispute_resolve"),
    path("invoices/<int:invoice_pk>/dispute/", dispute_views.dispute_create, name="dispute_create"),
    path("promises/", dispute_views.promise_list, name="promises"),
    path(
        "customers/<int:customer_pk>/promise/", dispute_views.promise_create, name="promise_create"
    ),
]

# Credit control.
urlpatterns += [
    path("credit/", credit.credit_positions, name="credit_positions"),
    path("credit/export.xlsx", credit.credit_positions_export, name="credit_positions_export"),
    path("customers/<int:pk>/incidents/", credit.incident_add, name="incident_add"),
]

# The collection file of a customer (dossier de recouvrement) and its calls.
urlpatterns += [
    path(
        "customers/<int:pk>/collection/",
        collection_file_views.collection_file_view,
        name="collection_file",
    ),
    path("customers/<int:pk>/collection/calls/", collection_file_views.call_log, name="call_log"),
    path(
        "customers/<int:pk>/collection/calls/<int:call_pk>/confirmation/",
        collection_file_views.call_confirm,
        name="call_confirm",
    ),
]

# Dunning (relances): reminders, the run, scenarios, the collector's agenda.
urlpatterns += [
    path("dunning/", dunning_views.reminder_list, name="reminders"),
    path("dunning/export.xlsx", dunning_views.reminder_export, name="reminder_export"),
    path("dunning/run/", dunning_views.dunning_run, name="dunning_run"),
    path("dunning/agenda/", dunning_views.desk, name="dunning_desk"),
    path("dunning/<int:pk>/", dunning_views.reminder_detail, name="reminder_detail"),
    path("dunning/<int:pk>/send/", dunning_views.reminder_send, name="reminder_send"),
    path("dunning/<int:pk>/edit/", dunning_views.reminder_edit, name="reminder_edit"),
    path("dunning/<int:pk>/postpone/", dunning_views.reminder_postpone, name="reminder_postpone"),
    path("dunning/<int:pk>/cancel/", dunning_views.reminder_cancel, name="reminder_cancel"),
    path(
        "dunning/<int:pk>/registered-mail/",
        dunning_views.reminder_registered,
        name="reminder_registered",
    ),
    path("dunning/<int:pk>/letter.pdf", dunning_views.reminder_letter, name="reminder_letter"),
    path("company/dunning/", dunning_views.scenario_list, name="dunning_scenarios"),
    path("company/dunning/new/", dunning_views.scenario_create, name="dunning_scenario_create"),
    path("company/dunning/<int:pk>/", dunning_views.scenario_edit, name="dunning_scenario_edit"),
    path(
        "customers/<int:pk>/dunning-profile/",
        dunning_views.dunning_profile,
        name="dunning_profile",
    ),
]

# Pre-litigation cases (dossiers précontentieux).
urlpatterns += [
    path("litigation/", litigation_views.case_list, name="litigation"),
    path("litigation/<int:pk>/", litigation_views.case_detail, name="litigation_detail"),
    path("litigation/<int:pk>/file.pdf", litigation_views.case_pdf, name="litigation_pdf"),
    path("litigation/<int:pk>/exhibits.zip", litigation_views.case_zip, name="litigation_zip"),
    path(
        "litigation/<int:pk>/<str:action>/",
        litigation_views.case_action,
        name="litigation_action",
    ),
    path(
        "customers/<int:customer_pk>/litigation/new/",
        litigation_views.case_open,
        name="litigation_open",
    ),
]

# Background jobs: the progress of one job, the company's jobs page.
urlpatterns += [
    path("jobs/", job_views.job_list, name="jobs"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress", job_views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/download", job_views.job_download, name="job_download"),
    path("jobs/<int:pk>/retry/", job_views.job_retry, name="job_retry"),
    # --- import lane: bank accounts and statements ---
    path("bank/accounts/", bank_account_views.account_list, name="bank_accounts"),
    path("bank/accounts/new/", bank_account_views.account_create, name="bank_account_create"),
    path("bank/accounts/<int:pk>/edit/", bank_account_views.account_edit, name="bank_account_edit"),
    path(
        "bank/accounts/<int:pk>/toggle/",
        bank_account_views.account_toggle,
        name="bank_account_toggle",
    ),
    path("bank/statements/", bank_import_views.statements, name="bank_statements"),
    path("bank/statements/import/", bank_import_views.statement_import, name="bank_import"),
    path("bank/statements/<int:pk>/", bank_import_views.statement_detail, name="bank_statement"),
    path("bank/files/<int:pk>/", bank_import_views.file_detail, name="bank_file"),
    path("bank/lines/export/", bank_import_views.lines_export, name="bank_lines_export"),
]

# --- report lane (banking): the état de rapprochement and the cash view ---
from .views import bank_cash, bank_report  # noqa: E402

urlpatterns += [
    path("bank/reconciliation/", bank_report.reconciliation, name="bank_reconciliation"),
    path(
        "bank/reconciliation/report.pdf",
        bank_report.reconciliation_pdf,
        name="bank_reconciliation_pdf",
    ),
    path(
        "bank/reconciliation/export.xlsx",
        bank_report.reconciliation_export,
        name="bank_reconciliation_export",
    ),
    path(
        "bank/reconciliation/validate/",
        bank_report.reconciliation_validate,
        name="bank_reconciliation_validate",
    ),
    path(
        "bank/reconciliation/history/",
        bank_report.reconciliation_history,
        name="bank_reconciliations",
    ),
    path(
        "bank/reconciliation/<int:pk>/",
        bank_report.reconciliation_detail,
        name="bank_reconciliation_detail",
    ),
    path(
        "bank/reconciliation/<int:pk>/report.pdf",
        bank_report.reconciliation_detail_pdf,
        name="bank_reconciliation_detail_pdf",
    ),
    path(
        "bank/reconciliation/<int:pk>/export.xlsx",
        bank_report.reconciliation_detail_export,
        name="bank_reconciliation_detail_export",
    ),
    path("bank/cash/", bank_cash.cash, name="cash"),
    path("bank/cash/export.xlsx", bank_cash.cash_export, name="cash_export"),
]

# --- review lane --- Bank reconciliation: the review screen (« Rapprochement bancaire »).
urlpatterns += [
    path("bank/review/", bank_review_views.bank_review, name="bank_review"),
    path("bank/review/export/", bank_review_views.bank_review_export, name="bank_review_export"),
    path("bank/review/accept-all/", bank_review_views.bank_review_bulk, name="bank_review_bulk"),
    path("bank/review/engine/", bank_review_views.bank_review_engine, name="bank_review_engine"),
    path("bank/review/<int:pk>/", bank_review_views.bank_review_line, name="bank_review_line"),
    path(
        "bank/review/<int:pk>/accept/",
        bank_review_views.bank_review_accept,
        name="bank_review_accept",
    ),
    path(
        "bank/review/<int:pk>/split/", bank_review_views.bank_review_split, name="bank_review_split"
    ),
    path(
        "bank/review/<int:pk>/assign/",
        bank_review_views.bank_review_assign,
        name="bank_review_assign",
    ),
    path(
        "bank/review/<int:pk>/ignore/",
        bank_review_views.bank_review_ignore,
        name="bank_review_ignore",
    ),
    path("bank/review/<int:pk>/undo/", bank_review_views.bank_review_undo, name="bank_review_undo"),
    path("bank/review/installments/", pickers.installment_search, name="installment_search"),
]
