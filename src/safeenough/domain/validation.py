"""Small checks shared by the domain constructors."""


class DomainError(ValueError):
    """A domain object was constructed with values that cannot be true."""


def require_text(value: str, field: str, *, max_length: int = 200) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise DomainError(f"{field} must not be empty")
    if len(cleaned) > max_length:
        raise DomainError(f"{field} must be at most {max_length} characters (got {len(cleaned)})")
    return cleaned
