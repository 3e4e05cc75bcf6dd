"""Arrears: a serverless collections engine (the package deployed to AWS Lambda)."""
