"""Arrears: a serverless collections engine (the package deployed to AWS Lambda)."""

from arrears import dataclass_code

# In a Lambda asset: the dataclasses' methods come compiled with it (a checkout has no file)
dataclass_code.install()
