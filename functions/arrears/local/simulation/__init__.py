"""`arrears simulate`: what a policy would do to a portfolio, borrowers played by a model.

See docs/simulation.md. Each policy runs the same portfolio on its own local runtime (one
per process); simulated borrowers answer what they actually receive; the per-case reports
become metrics and paired bootstrap comparisons in ``simulation.json``.
"""
