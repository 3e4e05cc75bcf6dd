"""The channel a borrower prefers (set on the portal), where the policy gives a choice.

The policy decides which channels a stage may use; the preference only chooses among them:

- a stage that sends on several channels (``channels: [sms, email]``) goes on the preferred
  one alone when it is one of them;
- a stage whose channel may be either (``channels: [sms], alternatives: [email]``) goes on
  the preferred one when it is its channel or one of its alternatives;
- a channel the stage does not name is never added (a preferred call does not turn a
  reminder into a call, a letter is never swapped for a message), and with no preference,
  or one the stage does not offer, the stage goes on its policy channels as before.

The preferred channel still passes the compliance gate. When the gate blocks it (the
borrower opted out of it, it is unverified or unreachable, a cap is reached) or the send
fails for good, the stage falls back to its policy channels, each through the gate in
turn, so a preference never costs the borrower a notice the policy gives them. When the
gate only defers it (outside the hours the borrower can be contacted on it), the stage
waits for it rather than going on another channel now.
"""

from __future__ import annotations

from dataclasses import dataclass

from arrears.domain.policy import StageStep
from arrears.domain.types import Channel

# the channels a preference may choose between: the messages a stage sends by itself
CHOOSABLE = frozenset({Channel.SMS, Channel.EMAIL})
# what a channel's result must be for the stage to go on the policy's channels instead
FALL_BACK_ON = frozenset({"blocked", "failed"})
# the reason on the timeline for a policy channel not used because of the preference
REASON = "preferred_channel"


@dataclass(frozen=True)
class ChannelPlan:
    first: tuple[Channel, ...]  # tried now, in this order
    fallback: tuple[Channel, ...] = ()  # tried only when every first channel falls back
    preferred: Channel | None = None  # the preference that shaped the plan, if any


def offered(step: StageStep) -> tuple[Channel, ...]:
    """Every channel the policy allows the stage: its own, then its alternatives."""
    return (*step.channels, *step.alternatives)


def channel_plan(step: StageStep, preferred: Channel | None) -> ChannelPlan:
    """Which channels the stage tries first and which it falls back to (module docstring)."""
    if preferred is None or preferred not in CHOOSABLE or preferred not in offered(step):
        return ChannelPlan(step.channels)
    if step.channels == (preferred,):
        return ChannelPlan(step.channels)  # nothing to choose
    fallback = tuple(channel for channel in step.channels if channel is not preferred)
    return ChannelPlan((preferred,), fallback, preferred)


def falls_back(outcome: str) -> bool:
    """A result on the preferred channel after which the policy's channels are tried."""
    return outcome in FALL_BACK_ON
