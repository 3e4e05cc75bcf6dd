"""The work queues ops take cases from, and what a waiting escalation stores for each.

A module of names only: the escalation steps that route a case to a queue import it
without the ops actions' models (``domain.ops``), which their functions never run.
"""

from __future__ import annotations

QUEUE_AGENT_CALL = "AGENT_CALL"
# a borrower's reply no rule understood: a person reads it, acts, and resumes the case
QUEUE_REPLY_REVIEW = "REPLY_REVIEW"
QUEUE_LEGAL_REVIEW = "LEGAL_REVIEW"
# after the review's alerts: a manager decides (the review never closes by itself)
QUEUE_LEGAL_REVIEW_ESCALATED = "LEGAL_REVIEW_ESCALATED"
# litigation rejected, the debt held open for a person (hold, or nothing left on the ladder)
QUEUE_LITIGATION_REJECTED = "LITIGATION_REJECTED"
# litigation rejected, to be placed with a collection agency by ops
QUEUE_AGENCY_PLACEMENT = "AGENCY_PLACEMENT"
# every queue of a case waiting in "Wait for legal review decision"
DECISION_QUEUES = (
    QUEUE_LEGAL_REVIEW,
    QUEUE_LEGAL_REVIEW_ESCALATED,
    QUEUE_LITIGATION_REJECTED,
    QUEUE_AGENCY_PLACEMENT,
)
# a step failed after its retries: the execution waits for ops to resume it
QUEUE_STUCK = "STUCK"
# the borrower says the payment was made (portal, reply): contact holds while ops look for
# the money; the case leaves when ops decide, the payment settles or the hold ends
QUEUE_PAYMENT_RECONCILIATION = "PAYMENT_RECONCILIATION"
# `waiting_for` the escalation stores while it waits for that human task (domain.ladder)
WAITING_FOR_QUEUE = {
    QUEUE_AGENT_CALL: "agent_outcome",
    QUEUE_REPLY_REVIEW: "agent_outcome",
    **{queue: "legal_decision" for queue in DECISION_QUEUES},
    QUEUE_STUCK: "ops_resume",
    QUEUE_PAYMENT_RECONCILIATION: "payment_reconciliation",
}
