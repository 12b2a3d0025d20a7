"""AWS Lambda entry points: the API (`http`), a consumer's SQS queue (`queue`), the table's
stream (`stream`), S3's object-created events (`uploads`) and scheduled jobs (`schedule`),
all sharing the wiring one container builds on its first invocation (`container`)."""
