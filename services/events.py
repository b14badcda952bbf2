"""Every journal event kind and severity, defined once.

The journal, the replays (runbook, escalation, report), the session and the webhooks
all speak of the same events; keeping their names here means a kind can't be spelled
two ways, and a reader finds the whole vocabulary of an incident in one file.
"""

from __future__ import annotations

from typing import Literal

# --- the incident --------------------------------------------------------------

INCIDENT_OPENED = "incident.opened"
"""{started: ISO time}: the first launch started the clock (the earliest one wins)."""
INCIDENT_RESOLVED = "incident.resolved"
"""{}: the incident is over; the clock stops at this event's time."""
SEVERITY_CHANGED = "severity.changed"
"""{severity}: SEV1..SEV4 changed from the command palette."""
STATUS_SENT = "status.sent"
"""{text}: a stakeholder status update went out; resets the status countdown."""

# --- escalation and the watch window ----------------------------------------------

ESCALATION_CROSSED = "escalation.crossed"
"""{level, role, name, contact, after, elapsed}: a level fired (toast, bell, webhooks)."""
ESCALATION_ACK = "escalation.ack"
"""{level}: someone acknowledged that level (and every level below it)."""
DEPLOY_MARKED = "deploy.marked"
"""{version?, action?, item?}: the production deploy is done; the watch window starts."""
WATCH_CHECKPOINT = "watch.checkpoint"
"""{deploy_seq, n, health}: the n-th all-clear checkpoint of the watch window."""
WATCH_ENDED = "watch.ended"
"""{deploy_seq, health}: the watch window is over."""

# --- the runbook -------------------------------------------------------------------

ITEM_DONE = "item.done"
"""{item, note?}: the item is done."""
ITEM_UNDONE = "item.undone"
"""{item}: reopen a done or N/A item."""
ITEM_NOTE = "item.note"
"""{item, text}: a note on the item; its state is unchanged."""
ITEM_NA = "item.na"
"""{item, reason}: the item does not apply."""
CHOICE_MADE = "choice.made"
"""{choice, option}: one alternative picked."""

# --- release: git steps and deploy commands -------------------------------------------

ACTION_STARTED = "action.started"
"""{name, argv, ...}: a deploy command started (argv with secrets masked)."""
ACTION_FINISHED = "action.finished"
"""{name, state, exit_code, duration, ...}: a deploy command ended; success ticks its items."""
ROLLBACK_FINISHED = "rollback.finished"
"""{version, from_version?, ok, exit_code, state, duration}: the rollback command ended;
when ok, the deploy mark before it is superseded and its watch window ends."""
OVERRIDE_GRANTED = "override.granted"
"""{what, reason, refusals}: someone overrode a guard (a gated tick, a deploy the
runbook refused, a batch whose gates did not hold), with the reason they typed."""
RELEASE_BRANCH = "release.branch"
"""{ok, summary, message, commands, version}: the hotfix branch was made (or failed)."""
RELEASE_TAG = "release.tag"
"""{ok, summary, message, commands, version}: the next version was tagged (or failed)."""
RELEASE_MERGE = "release.merge"
"""{ok, summary, message, commands, version}: merged back to main (or failed)."""

# --- health, metrics, alerts, webhooks ------------------------------------------------

HEALTH_CHANGED = "health.changed"
"""{endpoint, from, to, reason}: an endpoint moved from one state to another."""
ALERT_RAISED = "alert.raised"
"""{subject, text}: something an engineer must look at now."""
VERDICT_CHANGED = "verdict.changed"
"""{outcome, summary, headline, criteria: [{name, kind, critical, value, threshold, unit,
window, samples, baseline_samples, p_value, outcome, reason}], deploy_seq, batch?}: the
deploy verdict (Pass, Fail, Inconclusive) changed; `deploy_seq` is the event it judges
from (the deploy mark, or the finished rolling batch `batch`)."""
NOTIFY_FAILED = "notify.failed"
"""{url (masked), event, attempts, error}: a webhook gave up after its retries."""

SYSTEM_ACTOR = "warroom"
"""Who journals what no person did: health changes, alerts, escalation crossings."""

# --- severities ----------------------------------------------------------

Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]
SEVERITIES: tuple[Severity, ...] = ("SEV1", "SEV2", "SEV3", "SEV4")
"""SEV1 (worst) to SEV4."""
