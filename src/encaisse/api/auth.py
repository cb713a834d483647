"""`Authorization: Bearer <token>`: the request acts as the token's user in its company."""

from ninja.security import HttpBearer

from . import tokens


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        api_token = tokens.authenticate(token.strip())
        if api_token is None:
            return None
        request.user = api_token.user
        request.company = api_token.company
        return api_token
