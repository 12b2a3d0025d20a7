"""The patient timeline: a projection of every event about a patient, fed by the event
backbone, and the journal of those events that a rebuild replays."""
