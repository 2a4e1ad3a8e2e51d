"""The model's side of the reconciliation with the published tables (to be ported)."""


def reproduce(scenario: str, values: dict):
    raise NotImplementedError("peru: reproduce() is being ported to the reconciliation engine")
