"""The company the user works in: chosen in the session, checked against memberships."""

from encaisse.companies.permissions import companies_of, role_of

SESSION_KEY = "company_id"


class CurrentCompanyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.company = None
        request.role = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            companies = companies_of(user)
            wanted = request.session.get(SESSION_KEY)
            company = companies.filter(pk=wanted).first() if wanted else None
            company = company or companies.first()
            if company is not None:
                request.session[SESSION_KEY] = company.pk
                request.company = company
                request.role = role_of(user, company)
        return self.get_response(request)
