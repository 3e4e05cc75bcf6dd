"""Pure domain logic: no AWS imports, testable without mocks."""
