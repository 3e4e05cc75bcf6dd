"""Operator and developer tools behind the `arrears` CLI; excluded from the Lambda asset."""
