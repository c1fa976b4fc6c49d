"""One routes module per screen family."""
