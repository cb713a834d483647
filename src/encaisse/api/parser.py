"""The request parser: JSON numbers become Decimal, never float."""

import json
from decimal import Decimal

from ninja.parser import Parser


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number")


class DecimalJSONParser(Parser):
    def parse_body(self, request):
        return json.loads(request.body, parse_float=Decimal, parse_constant=_refuse_constant)
