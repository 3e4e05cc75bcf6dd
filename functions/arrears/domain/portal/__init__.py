"""The borrower's self-service portal, as pure rules (docs/portal.md).

``tokens``: link tokens (random, stored hashed), their lifetime and the identical refusal
for unknown, expired and revoked links. ``knowledge``: the lender's knowledge check (a
salted hash from the event) and its lockout. ``sms``: SMS parts (GSM-7 or UCS-2).
``actions``: a borrower's form -> the same ops action an agent would record.
``settings``: the policy's ``portal:`` block. No AWS library here.
"""
