"""The one hierarchy of domain errors.

A service refuses bad input by raising one of these, with a stable `code`, a message in
French fit for the user and, when the fault lies in one input, the `field` it concerns.
The web UI shows the message next to the field, the API returns it as JSON with a 4xx
status, the CLI prints it and exits non-zero.
"""


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, field: str | None = None, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details or []

    def as_dict(self) -> dict:
        data = {"code": self.code, "message": self.message}
        if self.field:
            data["field"] = self.field
        if self.details:
            data["details"] = self.details
        return data


class ValidationFailed(DomainError):
    """Input that breaks a rule; `details` may list several field errors."""

    status = 422


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "Introuvable.", code: str = "not_found"):
        super().__init__(code, message)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "Votre rôle ne permet pas cette action."):
        super().__init__("forbidden", message)


class Conflict(DomainError):
    """The action does not fit the record's current state (issued, already credited...)."""

    status = 409
