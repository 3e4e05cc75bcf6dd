"""One construct per concern; each is built from the specs in ``arrears.topology``."""
