"""FHIR Bulk Data Access (v2) `$export`, for admins: every patient (system, Patient) or
one country's (a Group), as NDJSON files behind signed links.

The kick-off (`service.py`) records the job (`job_store.py`: in the object store) and an
event; the `fhir-export` consumer (`handlers.py`) runs the job a step at a time on every
deployment (the process itself, a worker, a Lambda): each step reads a budget of patients
through the use cases (`content.py`), writes their files and records the event of the
next step, so no step outlives a consumer's time limit and a crash resumes where the last
step ended. `carehub export fhir` runs the same steps in process, into a folder.

`transactionTime` is when the export was asked. Records changed while it runs may be
included with their newer state: a client that uses it as its next `_since` gets them
again, never misses one. Files are kept for a day after the export finished
(`job.FILE_LIFETIME`); the manifest's links are signed for an hour at each poll.
"""
