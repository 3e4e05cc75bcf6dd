"""Lambda entry points: one module per function, each a thin shell around one step.

A handler module applies the Powertools decorators, builds the AWS adapters once per
container (it is the composition root), parses the event, calls one use case in
``arrears.steps`` and returns what the state machine's ``ResultPath`` expects. No business
decision lives here (docs/architecture.md).
"""
