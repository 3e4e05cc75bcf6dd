"""Use cases: one module per step of the escalation and of the other Lambdas, named after
the ASL Task it serves. A step loads what it needs through the ports, asks the domain what
to do, commits one unit of work and then has its side effects (a message, a letter, a
wake). The handlers call them; the domain never sees them (docs/architecture.md).
"""
