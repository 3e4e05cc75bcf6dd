"""Fitting risk scorecards (needs the `fit` extra: scikit-learn, numpy).

Never imported by Lambda code: arrears/tools is left out of the Lambda asset.
"""
